package io.payloadprocessor.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.config.ModuleConfigs;
import io.payloadprocessor.modules.common.MiniLmEmbeddings;
import io.payloadprocessor.modules.semanticrouter.SemanticRouterConfig;
import io.payloadprocessor.modules.semanticrouter.SemanticRouterFactory;
import io.payloadprocessor.modules.semanticrouter.SemanticRouterProcessor;
import io.payloadprocessor.modules.testing.TestContext;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of one {@code semantic-router} decision through its asynchronous path (the embedding of
 * the last user message queued to the model's pool, all-MiniLM-L6-v2 int8, comparison with 3 route
 * centroids, the mutation) for prompts of 16, 64 and 256 word pieces, the model's pool having one
 * thread. SampleTime mode reports percentiles (p50, p99). For the one-core figure run it pinned:
 * {@code taskset -c 0 test/bench/jmh.sh SemanticRoute}.
 *
 * <ul>
 *   <li>{@code route}: one request at a time, the cache of recent embeddings off (every decision
 *       runs the model: the realtime latency of a new prompt).
 *   <li>{@code route16Concurrent}: 16 different prompts submitted at once and all awaited (the
 *       micro-batcher runs them in one or two model calls); divide by 16 for the cost per decision.
 *   <li>{@code routeRepeated}: the same prompt again, answered from the cache of recent embeddings.
 * </ul>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class SemanticRouteBenchmark {
  @Param({"16", "64", "256"})
  public int tokens;

  private static final int CONCURRENT = 16;

  private Processor processor;
  private Processor cachedProcessor;
  private Exchange exchange;
  private Exchange[] concurrent;
  private MiniLmEmbeddings uncached;
  private MiniLmEmbeddings cached;

  @Setup
  public void setUp() throws Exception {
    String config =
        "{\"routes\":["
            + "{\"name\":\"math\",\"examples\":[\"What is the derivative of x squared?\","
            + "\"Solve the equation 3x + 5 = 20\",\"What is the integral of sin(x)?\"],"
            + "\"target\":{\"headers\":{\"x-gateway-destination\":\"math\"}}},"
            + "{\"name\":\"cooking\",\"examples\":[\"How long should I boil an egg?\","
            + "\"Give me a recipe for pizza dough\"]},"
            + "{\"name\":\"code\",\"examples\":[\"Fix this Python function\","
            + "\"Why does my Java code throw a NullPointerException?\"]}]}";
    ModuleContext ctx = new TestContext();
    SemanticRouterConfig routes =
        ModuleConfigs.bind(HttpMessage.JSON.readTree(config), SemanticRouterConfig.class);
    uncached = new MiniLmEmbeddings(1, 0);
    cached = new MiniLmEmbeddings(1, MiniLmEmbeddings.DEFAULT_CACHE_ENTRIES);
    processor = new SemanticRouterProcessor(routes, uncached);
    cachedProcessor = new SemanticRouterProcessor(routes, cached);
    // The factory path checks the same config (and is what the server runs).
    new SemanticRouterFactory().create("bench", HttpMessage.JSON.readTree(config), ctx);
    String prompt = promptOf(tokens);
    exchange = exchangeFor(prompt);
    concurrent = new Exchange[CONCURRENT];
    String[] first = {"please", "kindly", "now", "again", "briefly", "simply", "quickly", "also"};
    for (int i = 0; i < CONCURRENT; i++) {
      // Different texts of about the same length: no two share an embedding.
      concurrent[i] = exchangeFor(first[i % first.length] + (i < 8 ? " " : " then ") + prompt);
    }
  }

  private static Exchange exchangeFor(String prompt) throws Exception {
    ObjectNode body = JsonNodeFactory.instance.objectNode().put("model", "auto");
    body.putArray("messages").addObject().put("role", "user").put("content", prompt);
    Headers h = new Headers().set(":path", "/v1/chat/completions");
    Exchange e =
        new MutableExchange(
            "bench",
            new HttpMessage(h, body.toString().getBytes(StandardCharsets.UTF_8), true),
            Map.of());
    JsonNode parsed = e.request().json(); // parsed once, as the runner shares it
    if (parsed == null) {
      throw new IllegalStateException("no body");
    }
    return e;
  }

  @TearDown
  public void tearDown() {
    uncached.shutdown();
    cached.shutdown();
  }

  /**
   * The longest prompt of at most {@code n} word pieces as the model counts them ([CLS] and [SEP]
   * included), by binary search over the number of words (a handful of embeddings, not hundreds).
   */
  static String promptOf(int n) {
    String[] words =
        ("please explain how the area under a curve relates to the integral of a function and why"
                + " it works")
            .split(" ");
    int lo = 1;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi + 1) / 2;
      if (MiniLmEmbeddings.shared().tokenCount(words(words, mid)) <= n) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return words(words, lo);
  }

  private static String words(String[] words, int count) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < count; i++) {
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(words[i % words.length]);
    }
    return sb.toString();
  }

  @Benchmark
  public Outcome route() {
    return processor.onRequestAsync(exchange).toCompletableFuture().join();
  }

  @Benchmark
  public Outcome route16Concurrent() {
    List<CompletableFuture<Outcome>> all = new ArrayList<>(CONCURRENT);
    for (Exchange e : concurrent) {
      all.add(processor.onRequestAsync(e).toCompletableFuture());
    }
    Outcome last = null;
    for (CompletableFuture<Outcome> f : all) {
      last = f.join();
    }
    return last;
  }

  @Benchmark
  public Outcome routeRepeated() {
    return cachedProcessor.onRequestAsync(exchange).toCompletableFuture().join();
  }
}
