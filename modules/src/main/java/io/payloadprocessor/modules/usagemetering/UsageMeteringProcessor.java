package io.payloadprocessor.modules.usagemetering;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.runtime.SseParser;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.MessageView;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.util.Map;

/**
 * Meters LLM token usage from responses (JSON or server-sent events) of OpenAI chat completions,
 * completions, embeddings and the Responses API, and of Anthropic Messages (shapes: {@link
 * TokenUsage}, where: {@link UsageCollector}). Emits dynamic metadata {@code usage: {input_tokens,
 * output_tokens, total_tokens, cached_tokens, cache_creation_tokens, reasoning_tokens,
 * input_audio_tokens, output_audio_tokens, model}} (namespace {@code io.payload_processor}; only
 * the parts the provider reported) for Envoy's rate limiter and access logs, and adds to {@code
 * payload_processor_tokens_total{model, kind}}.
 *
 * <p>The model is the response's {@code model}, else the request's as the pipeline left it (after
 * any routing rewrite), else absent.
 *
 * <p>Streams are only read: every event passes on as the same object, so its bytes reach the client
 * as they came; the metadata comes with the end of the stream. A successful (2xx) response that
 * promises JSON ({@code application/json}, {@code +json} or no content type) but cannot be read is
 * a body error that follows the step's failure mode (502 under FailClosed, skipped and counted
 * under FailOpen), as an unreadable request body is; so is a stream that is not an event stream. A
 * response without usage, an error response, or one of another type (audio, plain text) that is not
 * JSON is passed on unmetered.
 */
public final class UsageMeteringProcessor implements Processor {
  /** Dynamic metadata key of the usage map. */
  public static final String METADATA_KEY = "usage";

  private final boolean injectStreamUsage;
  private final TokenCounters counters;

  UsageMeteringProcessor(boolean injectStreamUsage, TokenCounters counters) {
    this.injectStreamUsage = injectStreamUsage;
    this.counters = counters;
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
  public Outcome onResponse(Exchange exchange) throws BodyException {
    MessageView response = exchange.response();
    UsageCollector collector = new UsageCollector();
    if (response.mediaType().equals("text/event-stream")) {
      // The whole stream, buffered by the server: same events, same rules.
      SseParser parser = new SseParser();
      try {
        parser.feed(response.body()).forEach(collector::accept);
      } catch (SseParser.SseException e) {
        throw new BodyException(
            502, "invalid_event_stream", "response is not a valid event stream");
      }
      parser.finish().forEach(collector::accept);
    } else {
      JsonNode json = readJson(exchange);
      if (json == null) {
        return Outcome.proceed();
      }
      collector.accept(json);
    }
    Map<String, Object> usage = meter(exchange, collector);
    return usage == null
        ? Outcome.proceed()
        : Outcome.proceed(Mutation.create().metadata(METADATA_KEY, usage));
  }

  /**
   * The response as JSON, or null when it is not ours to read.
   *
   * @throws BodyException 502 for a 2xx response that promises JSON and is not
   */
  private static JsonNode readJson(Exchange exchange) throws BodyException {
    MessageView response = exchange.response();
    try {
      return response.json();
    } catch (BodyException e) {
      int status = exchange.responseStatus();
      String type = response.mediaType();
      boolean promisesJson =
          type.isEmpty() || type.equals("application/json") || type.endsWith("+json");
      if (promisesJson && status >= 200 && status < 300) {
        throw new BodyException(
            502,
            "invalid_response_body",
            "the upstream's "
                + status
                + " response cannot be read as JSON ("
                + e.reason()
                + "), so its token usage cannot be metered");
      }
      return null;
    }
  }

  /** Counts the usage collected and returns its metadata value, or null if there is none. */
  private Map<String, Object> meter(Exchange exchange, UsageCollector collector) {
    TokenUsage usage = collector.result(() -> requestModel(exchange));
    if (usage == null) {
      return null;
    }
    counters.record(usage);
    return usage.toMetadata();
  }

  /** The request's {@code model} as the pipeline left it, or null. */
  private static String requestModel(Exchange exchange) {
    MessageView request = exchange.request();
    if (request == null || !request.hasBody()) {
      return null;
    }
    try {
      return TokenUsage.modelName(request.json().get("model"));
    } catch (BodyException e) {
      return null; // not JSON (e.g. a multipart upload): no model to name
    }
  }

  @Override
  public SseStreamProcessor openSseStream(Exchange exchange) {
    return new UsageStream(exchange);
  }

  /** Passes every event on as it came and meters at the end. */
  private final class UsageStream implements SseStreamProcessor {
    private final Exchange exchange;
    private final UsageCollector collector = new UsageCollector();

    UsageStream(Exchange exchange) {
      this.exchange = exchange;
    }

    @Override
    public StreamStep onEvent(SseEvent event) {
      collector.accept(event);
      return StreamStep.pass(event);
    }

    @Override
    public StreamStep onEnd() {
      Map<String, Object> usage = meter(exchange, collector);
      return usage == null
          ? StreamStep.hold()
          : StreamStep.hold().withMetadata(Map.of(METADATA_KEY, usage));
    }
  }
}
