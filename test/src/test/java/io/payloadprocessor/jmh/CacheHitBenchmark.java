package io.payloadprocessor.jmh;

import io.payloadprocessor.conformance.LocalRedis;
import io.payloadprocessor.modules.semanticcache.SemanticCacheFactory;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.server.config.DefaultModuleContext;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
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
 * Latency of a semantic-cache hit: the request part of the processor finding a stored answer and
 * building the immediate response, with the in-memory store and with a real Redis server on
 * loopback (started with {@link LocalRedis}; needs {@code redis-server} on the PATH). Exact mode,
 * so the number is the cache itself, not the embedding model (see SemanticRouteBenchmark for that).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(1)
public class CacheHitBenchmark {
  @Param({"memory", "redis"})
  public String store;

  private Processor cache;
  private byte[] request;
  private byte[] response;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    String storeJson = "{\"type\":\"memory\"}";
    if (store.equals("redis")) {
      String url =
          LocalRedis.url()
              .orElseThrow(() -> new IllegalStateException("redis-server is not on the PATH"));
      storeJson = "{\"type\":\"redis\",\"url\":\"" + url + "\"}";
    }
    cache =
        new SemanticCacheFactory()
            .create(
                "cache",
                HttpMessage.JSON.readTree(
                    "{\"mode\":\"exact\",\"ttlSeconds\":600,\"store\":" + storeJson + "}"),
                new DefaultModuleContext(Path.of("."), new PrometheusRegistry(), Map.of()));
    request =
        ("{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}")
            .getBytes(StandardCharsets.UTF_8);
    response =
        ("{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"gpt-4o\",\"choices\":"
                + "[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Paris.\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":20,"
                + "\"completion_tokens\":2,\"total_tokens\":22}}")
            .getBytes(StandardCharsets.UTF_8);
    // Store the answer once through the normal path: a miss, then the response part.
    MutableExchange miss = exchange();
    cache.onRequest(miss);
    Headers rh = new Headers().set(":status", "200").set("content-type", "application/json");
    miss.setResponse(new HttpMessage(rh, response, true));
    cache.onResponse(miss);
    if (!(cache.onRequest(exchange()) instanceof Outcome.Respond)) {
      throw new IllegalStateException("benchmark set-up did not produce a cache hit");
    }
  }

  private MutableExchange exchange() {
    Headers h =
        new Headers()
            .set(":method", "POST")
            .set(":path", "/v1/chat/completions")
            .set("content-type", "application/json");
    return new MutableExchange("bench", new HttpMessage(h, request, true), Map.of());
  }

  @Benchmark
  public Outcome hit() throws Exception {
    return cache.onRequest(exchange());
  }

  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    if (cache instanceof AutoCloseable c) {
      c.close();
    }
  }
}
