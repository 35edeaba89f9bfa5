package io.payloadprocessor.server;

import io.payloadprocessor.modules.common.CounterPoints;
import io.payloadprocessor.spi.Direction;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's Prometheus metrics. Names follow Prometheus conventions; labels are bounded
 * (processor names come from config, phases and outcomes from code, never from traffic; modules
 * bound traffic-derived values, e.g. usage-metering's model names to its {@code metricModels}).
 */
public final class ServerMetrics {
  private static final double[] LATENCY_BUCKETS = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5
  };

  private final PrometheusRegistry registry;
  public final Gauge streamsActive;
  public final Counter streamsTotal;
  public final Histogram phaseLatency;
  public final Counter errors;
  public final Histogram processorLatency;
  public final Counter processorOutcomes;
  public final Counter rejections;
  public final Counter droppedMutations;
  public final Counter shed;

  public ServerMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    streamsActive =
        Gauge.builder()
            .name("payload_processor_streams_active")
            .help("ext_proc streams (exchanges) currently open")
            .withoutExemplars()
            .register(registry);
    streamsTotal =
        Counter.builder()
            .name("payload_processor_streams_total")
            .help("ext_proc streams opened")
            .withoutExemplars()
            .register(registry);
    phaseLatency =
        Histogram.builder()
            .name("payload_processor_phase_duration_seconds")
            .help("Time to answer one ext_proc message, by phase")
            .labelNames("phase")
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .withoutExemplars()
            .register(registry);
    for (var c : io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest.RequestCase.values()) {
      phases.put(c, phaseLatency.labelValues(phaseLabel(c)));
    }
    errors =
        Counter.builder()
            .name("payload_processor_errors_total")
            .help("Errors by kind (internal, body_too_large, stream_error, ...)")
            .labelNames("kind")
            .withoutExemplars()
            .register(registry);
    processorLatency =
        Histogram.builder()
            .name("payload_processor_processor_duration_seconds")
            .help("Time one processor took, by processor and direction")
            .labelNames("processor", "direction")
            .classicOnly()
            .classicUpperBounds(LATENCY_BUCKETS)
            .withoutExemplars()
            .register(registry);
    processorOutcomes =
        Counter.builder()
            .name("payload_processor_processor_outcomes_total")
            .help(
                "Processor results: continue, reject, respond, skipped, failed_open, timeout,"
                    + " error")
            .labelNames("processor", "direction", "outcome")
            .withoutExemplars()
            .register(registry);
    rejections =
        Counter.builder()
            .name("payload_processor_rejections_total")
            .help("Rejections by processor, action and reason")
            .labelNames("processor", "action", "reason")
            .withoutExemplars()
            .register(registry);
    droppedMutations =
        Counter.builder()
            .name("payload_processor_dropped_mutations_total")
            .help("Header/body changes Envoy cannot apply in the body mode in force (STREAMED)")
            .labelNames("direction")
            .withoutExemplars()
            .register(registry);
    shed =
        Counter.builder()
            .name("payload_processor_shed_total")
            .help("Optional FailOpen steps skipped because the server was overloaded")
            .labelNames("processor")
            .withoutExemplars()
            .register(registry);
  }

  private final java.util.EnumMap<
          io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest.RequestCase,
          io.prometheus.metrics.core.datapoints.DistributionDataPoint>
      phases =
          new java.util.EnumMap<>(
              io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest.RequestCase.class);

  /**
   * The {@code phase} label of a message kind: the ext_proc field name ({@code request_headers},
   * ...), and {@code empty} for a message with none set, rather than protobuf's enum name.
   */
  static String phaseLabel(
      io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest.RequestCase c) {
    return switch (c) {
      case REQUEST_HEADERS -> "request_headers";
      case RESPONSE_HEADERS -> "response_headers";
      case REQUEST_BODY -> "request_body";
      case RESPONSE_BODY -> "response_body";
      case REQUEST_TRAILERS -> "request_trailers";
      case RESPONSE_TRAILERS -> "response_trailers";
      default -> "empty";
    };
  }

  /**
   * Adds the JVM and process metrics ({@code jvm_memory_*}, {@code jvm_gc_*}, {@code
   * jvm_threads_*}, {@code process_cpu_seconds_total}, {@code process_resident_memory_bytes}, ...)
   * to {@code registry}; once per registry.
   */
  public static void registerJvmMetrics(PrometheusRegistry registry) {
    io.prometheus.metrics.instrumentation.jvm.JvmMetrics.builder().register(registry);
  }

  /** The latency data point of one message kind, looked up once (the hot path calls it). */
  public io.prometheus.metrics.core.datapoints.DistributionDataPoint phaseLatency(
      io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest.RequestCase phase) {
    return phases.get(phase);
  }

  /**
   * The data points of one processor in one direction, each looked up once: {@code labelValues}
   * hashes a fresh label list on every call, and the runner records two or three points per step
   * per message.
   */
  public final class StepPoints {
    private final DistributionDataPoint latency;
    private final CounterPoints outcomes;

    private StepPoints(String step, Direction direction) {
      String dir = direction.label();
      this.latency = processorLatency.labelValues(step, dir);
      this.outcomes = new CounterPoints(o -> processorOutcomes.labelValues(step, dir, o));
    }

    /** Records how long the step took. */
    public void latency(long startNanos) {
      latency.observe((System.nanoTime() - startNanos) / 1e9);
    }

    /** Counts one outcome ({@code continue}, {@code skipped}, ...; a constant, never traffic). */
    public void outcome(String outcome) {
      outcomes.inc(outcome);
    }
  }

  private final ConcurrentHashMap<String, StepPoints> requestSteps = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, StepPoints> responseSteps = new ConcurrentHashMap<>();

  /** The data points of processor {@code step} in {@code direction}. */
  public StepPoints step(String step, Direction direction) {
    ConcurrentHashMap<String, StepPoints> m =
        direction == Direction.REQUEST ? requestSteps : responseSteps;
    StepPoints p = m.get(step);
    return p != null ? p : m.computeIfAbsent(step, s -> new StepPoints(s, direction));
  }

  public PrometheusRegistry registry() {
    return registry;
  }
}
