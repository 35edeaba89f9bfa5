package io.payloadprocessor.server.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.payloadprocessor.modules.bodyfieldtoheader.FieldValue;
import io.payloadprocessor.modules.bodyfieldtoheader.JsonFieldPath;
import io.payloadprocessor.modules.bodyfieldtoheader.StreamingFieldExtractor;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.BodyException;
import java.util.Arrays;
import java.util.Map;

/**
 * The OpenTelemetry GenAI semantic-convention attributes the sidecar can state: the operation (from
 * the path), the request model (from the request body), and the response model and token usage
 * (from usage-metering's {@code usage} metadata).
 */
final class GenAi {
  static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
  static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
  static final AttributeKey<String> RESPONSE_MODEL =
      AttributeKey.stringKey("gen_ai.response.model");
  static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
  static final AttributeKey<Long> OUTPUT_TOKENS =
      AttributeKey.longKey("gen_ai.usage.output_tokens");

  /**
   * How much of a request body is searched for its {@code model}: the field comes first in what
   * clients send, and the search runs on the event loop, so a body whose model comes after this
   * many bytes (or that is content-encoded) gets no request model rather than a full parse.
   */
  static final int MODEL_SEARCH_BYTES = 64 * 1024;

  private static final StreamingFieldExtractor MODEL =
      new StreamingFieldExtractor(
          JsonFieldPath.parse("$.model"), StreamingFieldExtractor.Scan.UNTIL_FIELD);

  private GenAi() {}

  /** The path without its query, or null. */
  static String pathOf(String pathAndQuery) {
    if (pathAndQuery == null || pathAndQuery.isEmpty()) {
      return null;
    }
    int q = pathAndQuery.indexOf('?');
    return q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
  }

  /**
   * {@code gen_ai.operation.name} from the API path: OpenAI (chat completions, responses,
   * completions, embeddings), Anthropic messages, Gemini generateContent and embedContent; null for
   * any other path.
   */
  static String operation(String path) {
    if (path.endsWith("/chat/completions")
        || path.endsWith("/v1/messages")
        || path.endsWith("/responses")) {
      return "chat";
    }
    if (path.endsWith("/completions")) {
      return "text_completion";
    }
    if (path.endsWith("/embeddings")
        || path.endsWith(":embedContent")
        || path.endsWith(":batchEmbedContents")) {
      return "embeddings";
    }
    if (path.endsWith(":generateContent") || path.endsWith(":streamGenerateContent")) {
      return "generate_content";
    }
    return null;
  }

  /** The top-level JSON {@code model} of a request body, if found early in a plain body. */
  static String requestModel(HttpMessage request) {
    if (!request.hasBody() || request.headers().get("content-encoding") != null) {
      return null;
    }
    byte[] body = request.rawBody();
    if (body.length == 0) {
      return null;
    }
    byte[] prefix =
        body.length > MODEL_SEARCH_BYTES ? Arrays.copyOf(body, MODEL_SEARCH_BYTES) : body;
    try {
      FieldValue v = MODEL.extract(prefix);
      return v.kind() == FieldValue.Kind.SCALAR ? v.text() : null;
    } catch (BodyException e) {
      return null; // not JSON, or the model is past the prefix
    }
  }

  /** Sets the response model and token counts from usage-metering's {@code usage} map. */
  static void usage(Span span, Object usage) {
    if (!(usage instanceof Map<?, ?> m)) {
      return;
    }
    if (m.get("model") instanceof String model) {
      span.setAttribute(RESPONSE_MODEL, ExchangeTrace.clip(model));
    }
    if (m.get("input_tokens") instanceof Number n) {
      span.setAttribute(INPUT_TOKENS, n.longValue());
    }
    if (m.get("output_tokens") instanceof Number n) {
      span.setAttribute(OUTPUT_TOKENS, n.longValue());
    }
  }
}
