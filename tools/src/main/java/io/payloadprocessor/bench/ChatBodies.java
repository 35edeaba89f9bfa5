package io.payloadprocessor.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;

/**
 * Realistic OpenAI chat bodies of an exact size: the JSON skeleton of a request or response with
 * the last message's text padded until the body has the requested number of bytes. The padding is
 * plain ASCII words so no JSON escaping changes the size.
 */
public final class ChatBodies {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] WORDS = {
    "the", "model", "should", "summarise", "this", "quarterly", "report", "and", "list", "three",
    "risks", "with", "their", "owners", "before", "friday", "please", "keep", "it", "short"
  };

  private ChatBodies() {}

  /**
   * A {@code /v1/chat/completions} request of {@code targetBytes} bytes, or of the skeleton's size
   * (about 200 bytes) if that is larger.
   */
  public static byte[] chatRequest(String model, int targetBytes) {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", model);
    var messages = body.putArray("messages");
    messages
        .addObject()
        .put("role", "system")
        .put("content", "You are a helpful assistant. Answer concisely.");
    ObjectNode user = messages.addObject().put("role", "user");
    body.put("max_tokens", 256);
    body.put("temperature", 0.7);
    body.put("stream", false);
    return padded(body, user, targetBytes);
  }

  /** A non-streaming chat completion response of {@code targetBytes} bytes (or the skeleton's). */
  public static byte[] chatResponse(String model, int targetBytes) {
    ObjectNode body = JSON.createObjectNode();
    body.put("id", "chatcmpl-load");
    body.put("object", "chat.completion");
    body.put("created", 1767225600L);
    body.put("model", model);
    ObjectNode choice = body.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message").put("role", "assistant");
    choice.put("finish_reason", "stop");
    ObjectNode usage = body.putObject("usage");
    usage.put("prompt_tokens", 42).put("completion_tokens", 64).put("total_tokens", 106);
    return padded(body, message, targetBytes);
  }

  private static byte[] padded(ObjectNode body, ObjectNode textHolder, int targetBytes) {
    textHolder.put("content", "");
    int skeleton = serialize(body).length;
    textHolder.put("content", filler(Math.max(0, targetBytes - skeleton)));
    return serialize(body);
  }

  private static String filler(int length) {
    StringBuilder text = new StringBuilder(length);
    for (int i = 0; text.length() < length; i++) {
      if (text.length() > 0) {
        text.append(' ');
      }
      text.append(WORDS[i % WORDS.length]);
    }
    text.setLength(length);
    return text.toString();
  }

  private static byte[] serialize(ObjectNode body) {
    try {
      return JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
