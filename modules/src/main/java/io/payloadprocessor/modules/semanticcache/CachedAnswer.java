package io.payloadprocessor.modules.semanticcache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.SseEvent;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The normalised form of a cached chat completion: the assistant's text, the finish reason, the
 * model that answered and the usage. It renders as a {@code chat.completion} JSON body or as a
 * replayed {@code chat.completion.chunk} stream, whichever way the answer was first received.
 * Answers with tool calls or several choices are not normalisable and are never cached.
 */
public record CachedAnswer(String text, String finishReason, String model, JsonNode usage) {
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** The answer of a non-streamed {@code chat.completion}, or null if it cannot be cached. */
  public static CachedAnswer fromChatCompletion(JsonNode body) {
    if (body == null || !body.isObject() || body.has("error")) {
      return null;
    }
    JsonNode choices = body.get("choices");
    if (choices == null || !choices.isArray() || choices.size() != 1) {
      return null;
    }
    JsonNode choice = choices.get(0);
    JsonNode message = choice.path("message");
    if (!message.path("content").isTextual()
        || hasValue(message, "tool_calls")
        || hasValue(message, "function_call")
        || !choice.path("finish_reason").isTextual()) {
      return null;
    }
    return new CachedAnswer(
        message.get("content").asText(),
        choice.get("finish_reason").asText(),
        body.path("model").asText(""),
        usageOf(body));
  }

  static boolean hasValue(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v != null && !v.isNull() && !(v.isArray() && v.isEmpty());
  }

  static JsonNode usageOf(JsonNode body) {
    JsonNode u = body.get("usage");
    return u != null && u.isObject() ? u : null;
  }

  /** A {@code chat.completion} body. */
  public ObjectNode toChatCompletion(String id, long created) {
    ObjectNode root = F.objectNode();
    root.put("id", id);
    root.put("object", "chat.completion");
    root.put("created", created);
    root.put("model", model);
    ArrayNode choices = root.putArray("choices");
    ObjectNode choice = choices.addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    message.put("content", text);
    choice.put("finish_reason", finishReason);
    if (usage != null) {
      root.set("usage", usage);
    }
    return root;
  }

  /**
   * A replayed stream: a chunk with the role and the whole text, a chunk with the finish reason, a
   * usage chunk when the client asked for one ({@code stream_options.include_usage}), then {@code
   * [DONE]}.
   */
  public byte[] toSse(String id, long created, boolean includeUsage) {
    StringBuilder sb = new StringBuilder();
    ObjectNode first = chunk(id, created);
    ObjectNode c0 = first.putArray("choices").addObject();
    c0.put("index", 0);
    ObjectNode delta = c0.putObject("delta");
    delta.put("role", "assistant");
    delta.put("content", text);
    c0.putNull("finish_reason");
    sb.append(SseEvent.data(first.toString()).toWire());
    ObjectNode last = chunk(id, created);
    ObjectNode c1 = last.putArray("choices").addObject();
    c1.put("index", 0);
    c1.putObject("delta");
    c1.put("finish_reason", finishReason);
    sb.append(SseEvent.data(last.toString()).toWire());
    if (includeUsage && usage != null) {
      ObjectNode u = chunk(id, created);
      u.putArray("choices");
      u.set("usage", usage);
      sb.append(SseEvent.data(u.toString()).toWire());
    }
    sb.append(SseEvent.data("[DONE]").toWire());
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private ObjectNode chunk(String id, long created) {
    ObjectNode c = F.objectNode();
    c.put("id", id);
    c.put("object", "chat.completion.chunk");
    c.put("created", created);
    c.put("model", model);
    return c;
  }

  /** The stored form: this answer plus the query's embedding (null for exact-only entries). */
  public String toStored(float[] embedding) {
    ObjectNode o = F.objectNode();
    o.put("v", 1);
    o.put("text", text);
    o.put("finish_reason", finishReason);
    o.put("model", model);
    if (usage != null) {
      o.set("usage", usage);
    }
    if (embedding != null) {
      ByteBuffer buf = ByteBuffer.allocate(embedding.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      for (float f : embedding) {
        buf.putFloat(f);
      }
      o.put("embedding", Base64.getEncoder().encodeToString(buf.array()));
    }
    return o.toString();
  }

  /** A stored entry: the answer and its embedding (null if none). */
  public record Stored(CachedAnswer answer, float[] embedding) {}

  /** Reads a stored entry; null if it is not one this version wrote. */
  public static Stored fromStored(String stored) {
    if (stored == null) {
      return null;
    }
    JsonNode o;
    try {
      o = HttpMessage.parseJson(stored.getBytes(StandardCharsets.UTF_8));
    } catch (BodyException e) {
      return null;
    }
    if (o.path("v").asInt() != 1 || !o.path("text").isTextual()) {
      return null;
    }
    float[] embedding = null;
    if (o.path("embedding").isTextual()) {
      ByteBuffer buf =
          ByteBuffer.wrap(Base64.getDecoder().decode(o.get("embedding").asText()))
              .order(ByteOrder.LITTLE_ENDIAN);
      embedding = new float[buf.remaining() / 4];
      for (int i = 0; i < embedding.length; i++) {
        embedding[i] = buf.getFloat();
      }
    }
    return new Stored(
        new CachedAnswer(
            o.get("text").asText(),
            o.path("finish_reason").asText("stop"),
            o.path("model").asText(""),
            usageOf(o)),
        embedding);
  }
}
