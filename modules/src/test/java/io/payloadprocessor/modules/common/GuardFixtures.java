package io.payloadprocessor.modules.common;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.testing.TestContext;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.ModuleFactory;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** Builds processors, exchanges and streams for guard tests. */
public final class GuardFixtures {
  private GuardFixtures() {}

  public static JsonNode yaml(String json) {
    try {
      return HttpMessage.JSON.readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Processor create(ModuleFactory f, String name, String configJson, TestContext ctx)
      throws ConfigException {
    return f.create(name, yaml(configJson), ctx);
  }

  public static MutableExchange request(String path, String contentType, byte[] body) {
    Headers h = new Headers().set(":method", "POST").set(":path", path);
    if (contentType != null) {
      h.set("content-type", contentType);
    }
    return new MutableExchange("req-1", new HttpMessage(h, body, true), java.util.Map.of());
  }

  public static MutableExchange request(String path, String json) {
    return request(path, "application/json", json.getBytes(StandardCharsets.UTF_8));
  }

  /** An exchange whose request has already happened and whose response is {@code body}. */
  public static MutableExchange response(String path, String contentType, String body) {
    MutableExchange ex = request(path, "{\"model\":\"m\",\"messages\":[]}");
    Headers h = new Headers().set(":status", "200").set("content-type", contentType);
    ex.setResponse(new HttpMessage(h, body.getBytes(StandardCharsets.UTF_8), true));
    return ex;
  }

  public static MutableExchange withHeader(MutableExchange ex, String name, String value) {
    ex.mutableRequest().headers().set(name, value);
    return ex;
  }

  public static byte[] gzip(String s) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
        gz.write(s.getBytes(StandardCharsets.UTF_8));
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] deflate(String s) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (java.util.zip.DeflaterOutputStream d = new java.util.zip.DeflaterOutputStream(out)) {
        d.write(s.getBytes(StandardCharsets.UTF_8));
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** What a stream processor released, and the block if it stopped. */
  public record Streamed(
      List<SseEvent> events, List<Integer> emittedPerStep, StreamStep blockStep) {
    /** Concatenation of every event's data, for "never released" checks. */
    public String allData() {
      StringBuilder sb = new StringBuilder();
      for (SseEvent e : events) {
        sb.append(e.data()).append('\n');
      }
      return sb.toString();
    }
  }

  /** Feeds events, then the end; stops at a block. */
  public static Streamed feed(SseStreamProcessor stream, List<SseEvent> in) {
    List<SseEvent> out = new ArrayList<>();
    List<Integer> perStep = new ArrayList<>();
    for (SseEvent e : in) {
      StreamStep step = stream.onEvent(e);
      out.addAll(step.emit());
      perStep.add(step.emit().size());
      if (step.block() != null) {
        return new Streamed(out, perStep, step);
      }
    }
    StreamStep end = stream.onEnd();
    out.addAll(end.emit());
    perStep.add(end.emit().size());
    return new Streamed(out, perStep, end.block() != null ? end : null);
  }

  /** An OpenAI chat-completion chunk with one content delta. */
  public static SseEvent openAiDelta(String content) {
    return SseEvent.data(
        "{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
            + "\"delta\":{\"content\":"
            + quote(content)
            + "},\"finish_reason\":null}]}");
  }

  /** An Anthropic content_block_delta event. */
  public static SseEvent anthropicDelta(String text) {
    return new SseEvent(
        "content_block_delta",
        "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":"
            + quote(text)
            + "}}",
        null);
  }

  public static String quote(String s) {
    try {
      return HttpMessage.JSON.writeValueAsString(s);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The content text released across OpenAI chunks (or Anthropic deltas). */
  public static String releasedText(List<SseEvent> events) {
    StringBuilder sb = new StringBuilder();
    for (SseEvent e : events) {
      if (e.data().startsWith("{")) {
        JsonNode j = yaml(e.data());
        for (StreamDelta d : StreamDelta.of(j)) {
          sb.append(d.slot().text());
        }
      }
    }
    return sb.toString();
  }
}
