package io.payloadprocessor.modules.usagemetering;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.MessageView;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseParser;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import io.prometheus.metrics.core.metrics.Counter;
import java.util.List;
import java.util.Map;

/**
 * Meters LLM token usage from responses (JSON or server-sent events) of OpenAI chat completions,
 * the OpenAI Responses API and Anthropic Messages. Emits dynamic metadata {@code usage:
 * {input_tokens, output_tokens, total_tokens, cached_tokens, model}} (namespace {@code
 * io.payload_processor}) for Envoy's rate limiter and access logs, and adds to the Prometheus
 * counter {@code payload_processor_tokens_total{model, kind}}. Streams pass through unchanged; the
 * metadata comes with the end of the stream. A response without usage (or that is not JSON) is
 * passed on without metering.
 */
public final class UsageMeteringProcessor implements Processor {
  /** Dynamic metadata key of the usage map. */
  public static final String METADATA_KEY = "usage";

  private final boolean injectStreamUsage;
  private final Counter counter;

  public UsageMeteringProcessor(UsageMeteringConfig config, Counter counter) {
    this.injectStreamUsage = config.injectStreamUsage();
    this.counter = counter;
  }

  @Override
  public boolean handlesRequest() {
    return injectStreamUsage;
  }

  @Override
  public boolean handlesResponse() {
    return true;
  }

  @Override
  public boolean streamsSse() {
    return true;
  }

  @Override
  public Outcome onRequest(Exchange exchange) throws Exception {
    MessageView request = exchange.request();
    if (!isCompletionsPath(request.headers().get(":path"))) {
      return Outcome.proceed();
    }
    JsonNode body = request.json();
    if (!body.isObject() || !body.path("stream").asBoolean(false)) {
      return Outcome.proceed();
    }
    if (body.path("stream_options").path("include_usage").asBoolean(false)) {
      return Outcome.proceed();
    }
    ObjectNode copy = ((ObjectNode) body).deepCopy();
    JsonNode options = copy.get("stream_options");
    ObjectNode streamOptions =
        options != null && options.isObject()
            ? (ObjectNode) options
            : copy.putObject("stream_options");
    streamOptions.put("include_usage", true);
    return Outcome.proceed(Mutation.create().replaceJson(copy));
  }

  /** Chat completions and legacy completions (any prefix, e.g. Azure deployments). */
  static boolean isCompletionsPath(String path) {
    if (path == null) {
      return false;
    }
    int q = path.indexOf('?');
    return (q < 0 ? path : path.substring(0, q)).endsWith("/completions");
  }

  @Override
  public Outcome onResponse(Exchange exchange) throws Exception {
    MessageView response = exchange.response();
    UsageCollector collector = new UsageCollector();
    try {
      if (response.mediaType().equals("text/event-stream")) {
        // The whole stream, buffered by the server: same events, same rules.
        SseParser parser = new SseParser();
        List<SseEvent> events = parser.feed(response.body());
        events.forEach(collector::accept);
        parser.finish().forEach(collector::accept);
      } else {
        collector.acceptBody(response.json());
      }
    } catch (BodyException | SseParser.SseException e) {
      return Outcome.proceed(); // not ours to judge: an unreadable response is simply not metered
    }
    TokenUsage usage = collector.result();
    if (usage == null) {
      return Outcome.proceed();
    }
    TokenCounters.record(counter, usage);
    return Outcome.proceed(Mutation.create().metadata(METADATA_KEY, usage.toMetadata()));
  }

  @Override
  public SseStreamProcessor openSseStream(Exchange exchange) {
    return new UsageStream();
  }

  /** Passes every event on unchanged and meters at the end. */
  private final class UsageStream implements SseStreamProcessor {
    private final UsageCollector collector = new UsageCollector();

    @Override
    public StreamStep onEvent(SseEvent event) {
      collector.accept(event);
      return StreamStep.pass(event);
    }

    @Override
    public StreamStep onEnd() {
      TokenUsage usage = collector.result();
      if (usage == null) {
        return StreamStep.hold();
      }
      TokenCounters.record(counter, usage);
      return StreamStep.hold().withMetadata(Map.of(METADATA_KEY, usage.toMetadata()));
    }
  }
}
