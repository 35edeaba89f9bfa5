package io.payloadprocessor.server.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.payloadprocessor.spi.Headers;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * OpenTelemetry tracing of exchanges, off unless an exporter is configured the standard way ({@code
 * OTEL_TRACES_EXPORTER} or {@code -Dotel.traces.exporter}; unset or {@code none}: off). When off
 * there is no SDK at all: every exchange gets {@link ExchangeTrace#NONE}, whose methods do nothing.
 * When on, the SDK's autoconfigure module reads every other {@code OTEL_*} setting (endpoint,
 * protocol, headers, sampler, resource attributes, batch sizes); this class only changes defaults:
 * no OpenTelemetry metrics or logs (the server exports Prometheus metrics and writes its own logs),
 * {@code service.name} {@value #SERVICE_NAME}, and attribute values cut at {@value
 * #DEFAULT_ATTRIBUTE_LENGTH} characters.
 *
 * <p>The parent of an exchange's span is the client's span from the request's W3C {@code
 * traceparent}/{@code tracestate} headers (W3C Trace Context, whatever {@code OTEL_PROPAGATORS}
 * says: those are the headers an HTTP request carries through Envoy); a missing or malformed one
 * starts a new trace. Contexts are passed explicitly, never through a thread-local: the steps of an
 * exchange run on the event loop, the CPU pool and backend callbacks.
 */
public final class Tracing implements AutoCloseable {
  /** Default {@code service.name} when none is configured. */
  public static final String SERVICE_NAME = "payload-processor";

  /** Default cap on one attribute value (OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT overrides it). */
  public static final int DEFAULT_ATTRIBUTE_LENGTH = 256;

  private static final String INSTRUMENTATION = "io.payloadprocessor";

  private static final Tracing OFF = new Tracing(null);

  private static final TextMapGetter<Headers> HEADERS =
      new TextMapGetter<>() {
        // Still abstract in TextMapGetter (only calling it is deprecated): it must be implemented.
        @SuppressWarnings("deprecation")
        @Override
        public Iterable<String> keys(Headers carrier) {
          return carrier.names();
        }

        @Override
        public String get(Headers carrier, String key) {
          if (carrier == null) {
            return null;
          }
          List<String> values = carrier.getAll(key);
          if (values.isEmpty()) {
            return null;
          }
          if (values.size() == 1) {
            return values.get(0);
          }
          // Two traceparent headers are invalid (W3C Trace Context 3.2): no parent. Repeated
          // tracestate headers are one list.
          return key.equals("traceparent") ? null : String.join(",", values);
        }
      };

  private final OpenTelemetrySdk sdk;
  private final Tracer tracer;

  private Tracing(OpenTelemetrySdk sdk) {
    this.sdk = sdk;
    this.tracer = sdk == null ? null : sdk.getTracer(INSTRUMENTATION);
  }

  /** No tracing. */
  public static Tracing off() {
    return OFF;
  }

  /**
   * Tracing as the environment configures it ({@code OTEL_*} variables and {@code otel.*} system
   * properties): off unless a traces exporter is named.
   *
   * @throws io.opentelemetry.sdk.autoconfigure.spi.ConfigurationException when the configuration is
   *     invalid (an unknown exporter, a malformed endpoint)
   */
  public static Tracing fromEnvironment() {
    return configure(Map.of(), null);
  }

  /**
   * Tracing from the environment with {@code settings} ({@code otel.*} property names) taking
   * precedence, and {@code extra} (if not null) added beside the configured exporter when tracing
   * is on: for tests, which cannot set environment variables and read spans from memory.
   */
  public static Tracing configure(Map<String, String> settings, SpanProcessor extra) {
    if (!enabled(settings)) {
      return OFF;
    }
    Map<String, String> defaults = new HashMap<>();
    defaults.put("otel.metrics.exporter", "none");
    defaults.put("otel.logs.exporter", "none");
    defaults.put("otel.attribute.value.length.limit", Integer.toString(DEFAULT_ATTRIBUTE_LENGTH));
    OpenTelemetrySdk sdk =
        AutoConfiguredOpenTelemetrySdk.builder()
            .addPropertiesSupplier(() -> defaults)
            .addPropertiesCustomizer(config -> settings)
            .addResourceCustomizer(
                (resource, config) -> {
                  String name = resource.getAttribute(AttributeKey.stringKey("service.name"));
                  return name == null || name.startsWith("unknown_service")
                      ? resource.merge(
                          Resource.create(
                              io.opentelemetry.api.common.Attributes.of(
                                  AttributeKey.stringKey("service.name"), SERVICE_NAME)))
                      : resource;
                })
            .addTracerProviderCustomizer(
                (builder, config) -> extra == null ? builder : builder.addSpanProcessor(extra))
            // The server flushes spans when it stops (close), after the streams drained.
            .disableShutdownHook()
            .build()
            .getOpenTelemetrySdk();
    return new Tracing(sdk);
  }

  /** Tracing through a given SDK (tests that build their own tracer provider). */
  public static Tracing of(OpenTelemetrySdk sdk) {
    return new Tracing(sdk);
  }

  private static boolean enabled(Map<String, String> settings) {
    if ("true".equalsIgnoreCase(setting(settings, "otel.sdk.disabled"))) {
      return false;
    }
    String exporter = setting(settings, "otel.traces.exporter");
    return exporter != null
        && !exporter.isBlank()
        && !exporter.trim().toLowerCase(Locale.ROOT).equals("none");
  }

  /** A setting as autoconfigure resolves it: given, then system property, then environment. */
  private static String setting(Map<String, String> settings, String key) {
    String v = settings.get(key);
    if (v == null) {
      v = System.getProperty(key);
    }
    if (v == null) {
      v = System.getenv(key.toUpperCase(Locale.ROOT).replace('.', '_'));
    }
    return v;
  }

  public boolean enabled() {
    return sdk != null;
  }

  /**
   * Starts the span of one exchange, its parent taken from the request's trace context headers.
   * Returns {@link ExchangeTrace#NONE} when tracing is off.
   */
  public ExchangeTrace startExchange(Headers requestHeaders, String requestId) {
    if (tracer == null) {
      return ExchangeTrace.NONE;
    }
    Context parent =
        W3CTraceContextPropagator.getInstance().extract(Context.root(), requestHeaders, HEADERS);
    Span span =
        tracer.spanBuilder("exchange").setParent(parent).setSpanKind(SpanKind.SERVER).startSpan();
    return ExchangeTrace.started(tracer, parent.with(span), span, requestHeaders, requestId);
  }

  /** Starts a trace for one batch line (no parent: a line is its own trace). */
  public ExchangeTrace startLine(Headers requestHeaders, String lineId) {
    if (tracer == null) {
      return ExchangeTrace.NONE;
    }
    Span span =
        tracer.spanBuilder("batch line").setNoParent().setSpanKind(SpanKind.INTERNAL).startSpan();
    return ExchangeTrace.started(tracer, Context.root().with(span), span, requestHeaders, lineId);
  }

  /** Exports what is still buffered and stops the SDK (waits up to 5 s). */
  @Override
  public void close() {
    if (sdk != null) {
      CompletableResultCode done = sdk.shutdown();
      done.join(5, TimeUnit.SECONDS);
    }
  }
}
