package io.payloadprocessor.server.pipeline;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.proto.v1.Rejection;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.SseEvent;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Builds the one rejection record and renders it in each place a user looks: the OpenAI error JSON
 * (default), Anthropic's error shape (on {@code /v1/messages}), an in-band SSE error, a batch
 * reject line and dynamic metadata.
 */
public final class Rejections {
  /** Dynamic metadata namespace of this server. */
  public static final String METADATA_NAMESPACE = "io.payload_processor";

  /** Processor name used for blocks by the server itself (e.g. body over limit). */
  public static final String SERVER = "payload-processor";

  private Rejections() {}

  public static Rejection of(Block block, String processor, Direction direction, String requestId) {
    return Rejection.newBuilder()
        .setProcessor(processor)
        .setPhase(direction.label())
        .setReason(block.reason())
        .setRule(block.rule())
        .setMessage(block.message())
        .setRetryable(block.retryable())
        .setRequestId(requestId == null ? "" : requestId)
        .setHttpStatus(block.status())
        .setType(block.type())
        .build();
  }

  /** Whether an exchange to this path speaks Anthropic's Messages API. */
  public static boolean isAnthropic(String path) {
    return path != null && (path.equals("/v1/messages") || path.startsWith("/v1/messages?"));
  }

  /** The error body for an HTTP client, in the API's own shape. */
  public static byte[] httpBody(Rejection r, String path) {
    return (isAnthropic(path) ? anthropic(r) : openAi(r))
        .toString()
        .getBytes(StandardCharsets.UTF_8);
  }

  /** {@code {"error":{"message","type","code","param", ...our fields}}}. */
  public static ObjectNode openAi(Rejection r) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    ObjectNode error = root.putObject("error");
    error.put("message", r.getMessage());
    error.put("type", r.getType());
    error.put("code", r.getReason());
    error.putNull("param");
    addRecord(error, r);
    return root;
  }

  /** {@code {"type":"error","error":{"type","message", ...our fields}}}. */
  public static ObjectNode anthropic(Rejection r) {
    ObjectNode root = JsonNodeFactory.instance.objectNode();
    root.put("type", "error");
    ObjectNode error = root.putObject("error");
    error.put("type", anthropicType(r));
    error.put("message", r.getMessage());
    addRecord(error, r);
    return root;
  }

  private static void addRecord(ObjectNode error, Rejection r) {
    error.put("processor", r.getProcessor());
    error.put("phase", r.getPhase());
    error.put("reason", r.getReason());
    if (!r.getRule().isEmpty()) {
      error.put("rule", r.getRule());
    }
    error.put("retryable", r.getRetryable());
    error.put("request_id", r.getRequestId());
  }

  private static String anthropicType(Rejection r) {
    int s = r.getHttpStatus();
    if (s == 413) {
      return "request_too_large";
    }
    if (s == 529) {
      return "overloaded_error";
    }
    if (s >= 500) {
      return "api_error";
    }
    return r.getType();
  }

  /**
   * The in-band error that ends a stream mid-way: Anthropic's {@code event: error}; for OpenAI an
   * error chunk followed by {@code data: [DONE]}.
   */
  public static byte[] sseError(Rejection r, String path) {
    String wire;
    if (isAnthropic(path)) {
      wire = new SseEvent("error", anthropic(r).toString(), null).toWire();
    } else {
      wire = SseEvent.data(openAi(r).toString()).toWire() + SseEvent.data("[DONE]").toWire();
    }
    return wire.getBytes(StandardCharsets.UTF_8);
  }

  /** The record as a flat map, for dynamic metadata and the batch reject line. */
  public static Map<String, Object> asMap(Rejection r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("processor", r.getProcessor());
    m.put("phase", r.getPhase());
    m.put("reason", r.getReason());
    m.put("rule", r.getRule());
    m.put("message", r.getMessage());
    m.put("retryable", r.getRetryable());
    m.put("request_id", r.getRequestId());
    m.put("status", r.getHttpStatus());
    return m;
  }
}
