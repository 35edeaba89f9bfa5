package io.payloadprocessor.modules.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The real all-MiniLM-L6-v2 (int8) behind the batcher and the cache of recent embeddings. */
class MiniLmEmbeddingsTest {
  private final MiniLmEmbeddings model = new MiniLmEmbeddings(1, 100);

  @AfterEach
  void stop() {
    model.shutdown();
  }

  @Test
  void embeddingsAreUnitLengthAndMeaningful() {
    List<float[]> v =
        model.embedAll(
            List.of(
                "How long should I boil an egg?",
                "How many minutes do eggs need in boiling water?",
                "The stock market fell sharply today."));
    for (float[] x : v) {
      assertThat(x).hasSize(MiniLmModel.DIMENSION);
      assertThat(Vectors.dot(x, x)).isCloseTo(1.0, within(1e-4));
    }
    assertThat(Vectors.dot(v.get(0), v.get(1))).isGreaterThan(0.7);
    assertThat(Vectors.dot(v.get(0), v.get(2))).isLessThan(0.3);
  }

  @Test
  void anEmbeddingDependsOnItsTextOnlyNotOnWhatElseIsInFlight() throws Exception {
    MiniLmEmbeddings uncached = new MiniLmEmbeddings(1, 0);
    try {
      String text = "Solve 3x + 5 = 20";
      float[] alone = uncached.embed(text);
      List<CompletableFuture<float[]>> burst = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        burst.add(uncached.embedAsync(i == 6 ? text : "another question, number " + i));
      }
      CompletableFuture.allOf(burst.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
      assertThat(burst.get(6).get()).containsExactly(alone); // bit for bit
      assertThat(uncached.embedAll(List.of("x y z", text)).get(1)).containsExactly(alone);
    } finally {
      uncached.shutdown();
    }
  }

  @Test
  void concurrentRequestsAreDrainedTogetherAndIdenticalOnesComputedOnce() throws Exception {
    long runs = MiniLmModel.get().runs();
    List<CompletableFuture<float[]>> all = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      all.add(model.embedAsync("concurrent request number " + (i % 8) + " about cooking pasta"));
    }
    CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
    // Submitting takes microseconds, a model call milliseconds: all but the first few wait for
    // a call in progress and are drained together in the next batch.
    assertThat(model.batches()).isLessThan(16);
    // 8 distinct texts, each computed once: a repeat in the same batch shares the call, one in a
    // later batch finds the first's result in the cache of recent embeddings.
    assertThat(MiniLmModel.get().runs() - runs).isEqualTo(8);
    assertThat(all.get(3).get()).isSameAs(all.get(11).get());
  }

  @Test
  void theSameTextIsNotEmbeddedTwice() throws Exception {
    float[] first = model.embedAsync("what is the capital of France?").get(30, TimeUnit.SECONDS);
    long batches = model.batches();
    long hits = model.cacheHits();
    CompletableFuture<float[]> again = model.embedAsync("what is the capital of France?");
    assertThat(again).isCompleted(); // answered at once, on the caller's thread
    assertThat(again.get()).isSameAs(first);
    assertThat(model.embed("what is the capital of France?")).isSameAs(first);
    assertThat(model.batches()).isEqualTo(batches);
    assertThat(model.cacheHits()).isEqualTo(hits + 2);
  }

  @Test
  void theCacheIsBounded() {
    MiniLmEmbeddings small = new MiniLmEmbeddings(1, 2);
    try {
      List<String> texts = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        texts.add("text number " + i);
      }
      small.embedAll(texts);
      small.embedAll(texts); // looks every text up before computing the missing ones
      assertThat(small.cacheHits()).isLessThanOrEqualTo(2);
    } finally {
      small.shutdown();
    }
  }

  @Test
  void aHugeTextIsCutBeforeTokenizing() {
    String huge = "word ".repeat(1_000_000); // 5 MB
    assertThat(model.tokenCount(huge)).isEqualTo(MiniLmModel.MAX_SEQUENCE_LENGTH);
    float[] v = model.embed(huge);
    float[] start = model.embed(huge.substring(0, MiniLmModel.MAX_INPUT_CHARS));
    assertThat(Vectors.dot(v, start)).isGreaterThan(0.9999);
  }

  @Test
  void heavyWorkRunsOnThePoolAndLightWorkOnTheCaller() throws Exception {
    Thread caller = Thread.currentThread();
    CompletableFuture<Thread> light = model.compute(false, Thread::currentThread);
    assertThat(light).isCompletedWithValue(caller);
    Thread heavy = model.compute(true, Thread::currentThread).get(10, TimeUnit.SECONDS);
    assertThat(heavy.getName()).startsWith("embeddings-");
  }
}
