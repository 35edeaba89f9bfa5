package io.payloadprocessor.modules.semanticcache;

import static io.payloadprocessor.modules.testing.TestExchanges.applyToRequest;
import static io.payloadprocessor.modules.testing.TestExchanges.applyToResponse;
import static io.payloadprocessor.modules.testing.TestExchanges.post;
import static io.payloadprocessor.modules.testing.TestExchanges.respond;

import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Drives a cache processor through whole exchanges, as the runner would. */
final class CacheHarness {
  static final String PATH = "/v1/chat/completions";

  private CacheHarness() {}

  static String chat(String question) {
    return chat(question, false);
  }

  static String chat(String question, boolean stream) {
    return "{\"model\":\"gpt-4o\",\"stream\":"
        + stream
        + (stream ? ",\"stream_options\":{\"include_usage\":true}" : "")
        + ",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
        + "{\"role\":\"user\",\"content\":\""
        + question
        + "\"}]}";
  }

  static String completion(String text) {
    return AnswerFormatsTest.COMPLETION.replace("Paris.", text);
  }

  /** Runs the request part. */
  static MutableExchange ask(SemanticCacheProcessor p, String body, String... headers)
      throws Exception {
    MutableExchange e = post(PATH, body, headers);
    Outcome o = p.onRequest(e);
    e.attributes().put("test/outcome", o);
    if (o instanceof Outcome.Continue) {
      applyToRequest(e, o);
    }
    return e;
  }

  static Outcome outcome(MutableExchange e) {
    return (Outcome) e.attributes().get("test/outcome");
  }

  /** The upstream answers with JSON; returns the response part's outcome, applied. */
  static Outcome answerJson(SemanticCacheProcessor p, MutableExchange e, int status, String body)
      throws Exception {
    respond(e, status, body, "content-type", "application/json");
    Outcome o = p.onResponse(e);
    applyToResponse(e, o);
    return o;
  }

  /**
   * The upstream answers with a stream: the response part runs at the headers (no body yet), then
   * the events flow through the stream processor. Returns what reached the client.
   */
  static List<SseEvent> answerStream(
      SemanticCacheProcessor p, MutableExchange e, List<SseEvent> events) throws Exception {
    respond(e, 200, null, "content-type", "text/event-stream");
    applyToResponse(e, p.onResponse(e));
    SseStreamProcessor s = p.openSseStream(e);
    List<SseEvent> out = new ArrayList<>();
    for (SseEvent ev : events) {
      StreamStep step = s.onEvent(ev);
      out.addAll(step.emit());
    }
    out.addAll(s.onEnd().emit());
    if (!p.awaitBackgroundWrites(Duration.ofSeconds(10))) {
      throw new AssertionError("the streamed answer was not stored within 10s");
    }
    return out;
  }
}
