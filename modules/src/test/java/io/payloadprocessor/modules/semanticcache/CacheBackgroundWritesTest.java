package io.payloadprocessor.modules.semanticcache;

import static io.payloadprocessor.modules.semanticcache.CacheHarness.ask;
import static io.payloadprocessor.modules.semanticcache.CacheHarness.chat;
import static io.payloadprocessor.modules.testing.TestExchanges.applyToResponse;
import static io.payloadprocessor.modules.testing.TestExchanges.respond;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisURI;
import io.payloadprocessor.modules.semanticcache.SemanticCacheProcessor.Mode;
import io.payloadprocessor.modules.store.RedisStore;
import io.payloadprocessor.modules.store.StateStore;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * An answer assembled from a stream is stored after the client has it: the end of the stream never
 * waits for the store, the writes in flight are bounded, and their outcomes are counted. Against a
 * real Lettuce client and a Redis that cannot answer.
 */
class CacheBackgroundWritesTest {
  private final Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();

  private SemanticCacheProcessor cacheOn(RedisURI uri) {
    return cacheOn(new RedisStore(uri));
  }

  private SemanticCacheProcessor cacheOn(StateStore store) {
    return new SemanticCacheProcessor(
        "cache",
        Mode.EXACT,
        0.92,
        Duration.ofMinutes(10),
        null,
        64,
        store,
        "pp:test:",
        null,
        result -> outcomes.computeIfAbsent(result, r -> new AtomicLong()).incrementAndGet());
  }

  private long count(String result) {
    AtomicLong n = outcomes.get(result);
    return n == null ? 0 : n.get();
  }

  /** A streamed miss (no-cache: no lookup) whose stream ends; returns what onEnd emitted. */
  private static StreamStep streamToTheEnd(SemanticCacheProcessor p, String question)
      throws Exception {
    MutableExchange e = ask(p, chat(question, true), "cache-control", "no-cache");
    respond(e, 200, null, "content-type", "text/event-stream");
    applyToResponse(e, p.onResponse(e));
    SseStreamProcessor s = p.openSseStream(e);
    for (SseEvent ev : AnswerFormatsTest.stream("Par", "is.")) {
      s.onEvent(ev);
    }
    return s.onEnd();
  }

  @Test
  void theStreamEndsAtOnceAndAFailedStoreIsCounted() throws Exception {
    int port; // a port nothing listens on any more
    try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = closed.getLocalPort();
    }
    try (SemanticCacheProcessor p = cacheOn(RedisURI.create("redis://127.0.0.1:" + port))) {
      assertThat(streamToTheEnd(p, "q").emit()).isEmpty();
      assertThat(p.awaitBackgroundWrites(Duration.ofSeconds(10))).isTrue();
      assertThat(count("failed")).isEqualTo(1);
      assertThat(count("stored")).isZero();
    }
  }

  @Test
  void writesInFlightAreBoundedAndTheRestDropped() throws Exception {
    // Accepts connections and never answers: every write stays in flight until its timeout.
    try (ServerSocket blackHole = new ServerSocket(0, 200, InetAddress.getLoopbackAddress())) {
      RedisURI uri = RedisURI.create("redis://127.0.0.1:" + blackHole.getLocalPort());
      uri.setTimeout(Duration.ofSeconds(5)); // longer than the loop below takes
      try (SemanticCacheProcessor p = cacheOn(uri)) {
        int over = 5;
        for (int i = 0; i < SemanticCacheProcessor.MAX_BACKGROUND_WRITES + over; i++) {
          streamToTheEnd(p, "question " + i);
        }
        // Every stream has ended; the writes are still waiting for Redis.
        assertThat(p.awaitBackgroundWrites(Duration.ZERO)).isFalse();
        assertThat(count("dropped")).isEqualTo(over);
        assertThat(p.awaitBackgroundWrites(Duration.ofSeconds(20))).isTrue();
        assertThat(count("failed")).isEqualTo(SemanticCacheProcessor.MAX_BACKGROUND_WRITES);
      }
    }
  }

  @Test
  void aStoredStreamIsCountedAndServed() throws Exception {
    List<SseEvent> events = AnswerFormatsTest.stream("Par", "is.");
    try (SemanticCacheProcessor p =
        new SemanticCacheProcessor(
            "cache",
            Mode.EXACT,
            0.92,
            Duration.ofMinutes(10),
            null,
            64,
            new io.payloadprocessor.modules.store.MemoryStore(100),
            "pp:test:",
            null,
            result -> outcomes.computeIfAbsent(result, r -> new AtomicLong()).incrementAndGet())) {
      CacheHarness.answerStream(p, ask(p, chat("q", true)), events);
      assertThat(count("stored")).isEqualTo(1);
      assertThat(CacheHarness.outcome(ask(p, chat("q")))).isInstanceOf(Outcome.Respond.class);
    }
  }
}
