package io.payloadprocessor.modules.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The queueing of the micro-batcher, with an encoder that records its calls and can be held inside
 * the call for a given text (so that "while a call runs" is a fact, not a race). The real model
 * behind it is tested in MiniLmEmbeddingsTest.
 */
class EmbeddingBatcherTest {
  private final ExecutorService pool = Executors.newFixedThreadPool(2);
  private final List<String> calls = new ArrayList<>();
  private final Map<String, Hold> holds = new ConcurrentHashMap<>();
  private volatile String failOn;

  /** Keeps the encoder inside the call for one text until released. */
  private static final class Hold {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
  }

  @AfterEach
  void stop() {
    holds.values().forEach(h -> h.release.countDown());
    pool.shutdownNow();
  }

  /** Encodes a text as {its length}. */
  private float[] encode(String text) {
    synchronized (calls) {
      calls.add(text);
    }
    Hold h = holds.get(text);
    if (h != null) {
      h.entered.countDown();
      try {
        h.release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (text.equals(failOn)) {
      throw new IllegalStateException("model failed");
    }
    return new float[] {text.length()};
  }

  private EmbeddingBatcher batcher(int workers, int maxBatch, int maxQueued) {
    return new EmbeddingBatcher(this::encode, pool, workers, maxBatch, maxQueued);
  }

  private Hold hold(String text) {
    Hold h = new Hold();
    holds.put(text, h);
    return h;
  }

  /** Submits {@code text} and waits until the encoder is held inside its call. */
  private CompletableFuture<float[]> occupy(EmbeddingBatcher b, String text) throws Exception {
    Hold h = hold(text);
    CompletableFuture<float[]> f = b.submit(text);
    assertThat(h.entered.await(10, TimeUnit.SECONDS)).isTrue();
    return f;
  }

  private void release(String text) {
    holds.get(text).release.countDown();
  }

  @Test
  void textsQueuedWhileACallRunsShareTheNextBatch() throws Exception {
    EmbeddingBatcher b = batcher(1, 32, 100);
    CompletableFuture<float[]> first = occupy(b, "a");
    List<CompletableFuture<float[]>> rest = new ArrayList<>();
    for (String t : List.of("bb", "ccc", "dddd")) {
      rest.add(b.submit(t));
    }
    release("a");
    assertThat(first.get(10, TimeUnit.SECONDS)).containsExactly(1f);
    assertThat(rest.get(2).get(10, TimeUnit.SECONDS)).containsExactly(4f);
    assertThat(calls).containsExactly("a", "bb", "ccc", "dddd");
    assertThat(b.batches()).isEqualTo(2); // [a], then [bb, ccc, dddd]
    assertThat(b.texts()).isEqualTo(4);
  }

  @Test
  void aBatchHoldsAtMostMaxBatchTexts() throws Exception {
    EmbeddingBatcher b = batcher(1, 2, 100);
    assertThat(occupy(b, "a")).isNotDone();
    List<CompletableFuture<float[]>> rest = new ArrayList<>();
    for (String t : List.of("b", "c", "d")) {
      rest.add(b.submit(t));
    }
    release("a");
    CompletableFuture.allOf(rest.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
    assertThat(b.batches()).isEqualTo(3); // [a], [b, c], [d]
    assertThat(calls).containsExactly("a", "b", "c", "d");
  }

  @Test
  void cancellingBeforeTheBatchStartsRemovesTheText() throws Exception {
    EmbeddingBatcher b = batcher(1, 32, 100);
    assertThat(occupy(b, "a")).isNotDone();
    CompletableFuture<float[]> dropped = b.submit("dropped");
    CompletableFuture<float[]> kept = b.submit("kept");
    assertThat(b.queued()).isEqualTo(2);
    assertThat(dropped.cancel(false)).isTrue();
    assertThat(b.queued()).isEqualTo(1);
    release("a");
    assertThat(kept.get(10, TimeUnit.SECONDS)).containsExactly(4f);
    assertThat(dropped).isCancelled();
    assertThat(calls).containsExactly("a", "kept");
    assertThat(b.cancelled()).isEqualTo(1);
  }

  @Test
  void cancellingATextOfAStartedBatchBeforeItsCallSkipsIt() throws Exception {
    EmbeddingBatcher b = batcher(1, 32, 100);
    assertThat(occupy(b, "a")).isNotDone();
    Hold x = hold("x");
    CompletableFuture<float[]> fx = b.submit("x");
    CompletableFuture<float[]> fy = b.submit("y");
    release("a"); // the next batch is [x, y]; it stops inside x's call
    assertThat(x.entered.await(10, TimeUnit.SECONDS)).isTrue();
    fy.cancel(false);
    x.release.countDown();
    assertThat(fx.get(10, TimeUnit.SECONDS)).containsExactly(1f);
    assertThat(b.submit("z").get(10, TimeUnit.SECONDS)).containsExactly(1f);
    assertThat(calls).containsExactly("a", "x", "z");
    assertThat(b.cancelled()).isEqualTo(1);
  }

  @Test
  void cancellingARunningCallDropsOnlyThatResult() throws Exception {
    EmbeddingBatcher b = batcher(1, 32, 100);
    CompletableFuture<float[]> running = occupy(b, "a");
    running.cancel(false);
    release("a");
    assertThat(b.submit("next").get(10, TimeUnit.SECONDS)).containsExactly(4f);
    assertThat(running).isCancelled();
    assertThat(b.cancelled()).isZero(); // its call had started: it ran anyway
    assertThat(calls).containsExactly("a", "next");
  }

  @Test
  void identicalTextsInOneBatchShareOneCall() throws Exception {
    EmbeddingBatcher b = batcher(1, 32, 100);
    assertThat(occupy(b, "a")).isNotDone();
    CompletableFuture<float[]> x = b.submit("same");
    CompletableFuture<float[]> y = b.submit("same");
    release("a");
    assertThat(x.get(10, TimeUnit.SECONDS)).isSameAs(y.get(10, TimeUnit.SECONDS));
    assertThat(calls).containsExactly("a", "same");
    assertThat(b.texts()).isEqualTo(2);
  }

  @Test
  void aFullQueueRefusesAtOnce() throws Exception {
    EmbeddingBatcher b = batcher(1, 32, 2);
    assertThat(occupy(b, "a")).isNotDone();
    assertThat(b.submit("b")).isNotDone();
    assertThat(b.submit("c")).isNotDone();
    CompletableFuture<float[]> refused = b.submit("d");
    assertThat(refused)
        .failsWithin(Duration.ZERO)
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(RejectedExecutionException.class);
    assertThat(b.rejected()).isEqualTo(1);
  }

  @Test
  void aFailedCallFailsItsRequestsAndTheRestOfTheBatchStillRuns() throws Exception {
    EmbeddingBatcher b = batcher(1, 32, 100);
    assertThat(occupy(b, "a")).isNotDone();
    failOn = "bad";
    CompletableFuture<float[]> bad = b.submit("bad");
    CompletableFuture<float[]> good = b.submit("good");
    release("a");
    assertThat(bad)
        .failsWithin(Duration.ofSeconds(10))
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(IllegalStateException.class);
    assertThat(good.get(10, TimeUnit.SECONDS)).containsExactly(4f);
    assertThat(b.submit("later").get(10, TimeUnit.SECONDS)).containsExactly(5f);
  }

  @Test
  void workersRunCallsInParallelUpToTheirNumber() throws Exception {
    EmbeddingBatcher b = batcher(2, 32, 100);
    assertThat(occupy(b, "a")).isNotDone(); // worker 1 is held inside the first call
    // Worker 2 takes the next text while worker 1 is still held.
    assertThat(b.submit("bb").get(10, TimeUnit.SECONDS)).containsExactly(2f);
    assertThat(b.batches()).isEqualTo(2);
  }
}
