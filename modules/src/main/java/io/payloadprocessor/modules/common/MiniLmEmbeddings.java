package io.payloadprocessor.modules.common;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.payloadprocessor.spi.ModuleContext;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeddings for the semantic modules (router and cache share one instance per JVM, {@link
 * #shared}): all-MiniLM-L6-v2 ({@link MiniLmModel}) behind a cache of recent embeddings, so the
 * same text is never embedded twice while it is remembered, and a micro-batcher ({@link
 * EmbeddingBatcher}) that drains concurrent requests together on a bounded pool of its own.
 *
 * <ul>
 *   <li>{@link #embedAsync} is for request paths: it returns at once (completed on a cache hit) and
 *       no thread waits for the model; cancelling the future before its batch starts removes the
 *       text from the queue.
 *   <li>{@link #embed} and {@link #embedAll} run the model on the calling thread, for work that may
 *       block: building a processor (route examples), tests.
 * </ul>
 *
 * <p>Vectors are unit length and shared with the cache: callers must not modify them.
 *
 * <p>Server options (read when the first semantic module of the JVM is built): {@code
 * embeddings.threads} (model threads, default and maximum the number of cores) and {@code
 * embeddings.cacheEntries} (embeddings remembered, default {@value #DEFAULT_CACHE_ENTRIES}, about
 * 1.6 KiB each; 0 turns the cache off).
 */
public final class MiniLmEmbeddings {
  private static final Logger LOG = LoggerFactory.getLogger(MiniLmEmbeddings.class);

  /** Server option: how many threads run the model. */
  public static final String THREADS_OPTION = "embeddings.threads";

  /** Server option: how many recent embeddings are remembered. */
  public static final String CACHE_ENTRIES_OPTION = "embeddings.cacheEntries";

  public static final int DEFAULT_CACHE_ENTRIES = 4096;

  /**
   * Bodies larger than this are parsed on the model's pool rather than on the thread that starts a
   * step (the server's event loop): a large JSON parse is CPU work of milliseconds.
   */
  public static final int INLINE_BODY_LIMIT = 64 * 1024;

  /**
   * Most texts one worker takes at once: enough to pay one hand-off per burst, few enough that a
   * cancelled request is usually still in the queue.
   */
  static final int MAX_BATCH = 16;

  /** Most texts waiting for the model; past that, requests fail at once (overload). */
  static final int MAX_QUEUED = 4096;

  private static volatile MiniLmEmbeddings shared;

  private final ExecutorService executor;
  private final EmbeddingBatcher batcher;
  private final Cache<Key, float[]> cache;
  private final AtomicLong hits = new AtomicLong();

  /** The cache key: 128 bits of the text's SHA-256, so that prompts are not kept in the heap. */
  private record Key(long high, long low) {}

  /**
   * A separate instance (own pool, cache and counters, same model), for tests. The model itself is
   * loaded on first use ({@link #warmUpAsync} starts it early).
   *
   * @param threads model threads
   * @param cacheEntries embeddings remembered (0: none)
   */
  public MiniLmEmbeddings(int threads, long cacheEntries) {
    int n = Math.max(1, threads);
    AtomicInteger count = new AtomicInteger();
    this.executor =
        new ThreadPoolExecutor(
            n,
            n,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(),
            r -> {
              Thread t = new Thread(r, "embeddings-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    ((ThreadPoolExecutor) executor).allowCoreThreadTimeOut(true);
    this.batcher = new EmbeddingBatcher(this::encodeOne, executor, n, MAX_BATCH, MAX_QUEUED);
    this.cache = Caffeine.newBuilder().maximumSize(cacheEntries).executor(Runnable::run).build();
  }

  /** The instance of this JVM, built on first use with the server options of {@code context}. */
  public static MiniLmEmbeddings shared(ModuleContext context) {
    MiniLmEmbeddings s = shared;
    if (s == null) {
      synchronized (MiniLmEmbeddings.class) {
        s = shared;
        if (s == null) {
          int cores = Runtime.getRuntime().availableProcessors();
          int threads = Math.min(cores, intOption(context, THREADS_OPTION, cores));
          long entries = intOption(context, CACHE_ENTRIES_OPTION, DEFAULT_CACHE_ENTRIES);
          s = new MiniLmEmbeddings(threads, entries);
          shared = s;
        }
      }
    }
    return s;
  }

  /** The instance of this JVM (default options if no module built it yet). */
  public static MiniLmEmbeddings shared() {
    return shared(null);
  }

  private static int intOption(ModuleContext context, String key, int fallback) {
    Optional<String> v = context == null ? Optional.empty() : context.option(key);
    if (v.isEmpty()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(v.get().trim());
      if (n >= 0) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    LOG.warn("server option {} must be a non-negative integer; using {}", key, fallback);
    return fallback;
  }

  /**
   * Starts loading the model on the embedding pool, so that the first request does not pay the load
   * (a second or two) inside its timeout.
   */
  public void warmUpAsync() {
    executor.execute(MiniLmModel::get);
  }

  /** The unit-length embedding of {@code text}, without waiting on any thread. */
  public CompletableFuture<float[]> embedAsync(String text) {
    String input = normalized(text);
    float[] known = cache.getIfPresent(key(input));
    if (known != null) {
      hits.incrementAndGet();
      return CompletableFuture.completedFuture(known);
    }
    return batcher.submit(input);
  }

  /**
   * The text as the model reads it: clipped, and stripped of surrounding white space, which the
   * tokenizer ignores (so the router's and the cache's copies of a prompt share one embedding).
   */
  private static String normalized(String text) {
    return MiniLmModel.clip(text.strip());
  }

  /** The unit-length embedding of {@code text}, computed on the calling thread if not cached. */
  public float[] embed(String text) {
    return embedAll(List.of(text)).get(0);
  }

  /** The embeddings of {@code texts} in order; those not cached are computed on this thread. */
  public List<float[]> embedAll(List<String> texts) {
    float[][] out = new float[texts.size()][];
    List<String> missing = new ArrayList<>();
    List<Integer> at = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      String text = normalized(texts.get(i));
      float[] known = cache.getIfPresent(key(text));
      if (known != null) {
        hits.incrementAndGet();
        out[i] = known;
      } else {
        missing.add(text);
        at.add(i);
      }
    }
    if (!missing.isEmpty()) {
      float[][] computed = encode(missing);
      for (int j = 0; j < computed.length; j++) {
        out[at.get(j)] = computed[j];
      }
    }
    return List.of(out);
  }

  /**
   * The model call behind both paths; remembers what it computed. Looks again first: the same text
   * may have been computed by an earlier batch since it was queued.
   */
  private float[] encodeOne(String text) {
    Key key = key(text);
    float[] known = cache.getIfPresent(key);
    if (known != null) {
      hits.incrementAndGet();
      return known;
    }
    float[] vector = MiniLmModel.get().embed(text);
    cache.put(key, vector);
    return vector;
  }

  private float[][] encode(List<String> texts) {
    float[][] out = new float[texts.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = encodeOne(texts.get(i));
    }
    return out;
  }

  /** How many word pieces the model counts for {@code text}, [CLS] and [SEP] included. */
  public int tokenCount(String text) {
    return MiniLmModel.get().tokenCount(text);
  }

  /**
   * The pool the model runs on (threads at most the cores), for other CPU work of the semantic
   * modules that should not run on an I/O thread (comparing with many cached answers, say).
   */
  public Executor executor() {
    return executor;
  }

  /**
   * Runs {@code work} on the model's pool when it is {@code heavy} (parsing a large body, say),
   * else on the calling thread; either way the result comes as a future.
   */
  public <T> CompletableFuture<T> compute(boolean heavy, Callable<T> work) {
    if (!heavy) {
      try {
        return CompletableFuture.completedFuture(work.call());
      } catch (Exception e) {
        return CompletableFuture.failedFuture(e);
      }
    }
    CompletableFuture<T> out = new CompletableFuture<>();
    executor.execute(
        () -> {
          if (out.isDone()) {
            return; // cancelled while queued
          }
          try {
            out.complete(work.call());
          } catch (Exception e) {
            out.completeExceptionally(e);
          }
        });
    return out;
  }

  /** Batches drained from {@link #embedAsync}'s queue (each one hand-off to the pool). */
  public long batches() {
    return batcher.batches();
  }

  /** Model calls made for {@link #embedAsync} (identical texts of one batch share one). */
  public long batchedTexts() {
    return batcher.texts();
  }

  /** Requests answered from the cache of recent embeddings. */
  public long cacheHits() {
    return hits.get();
  }

  /** Requests cancelled before their batch started. */
  public long cancelled() {
    return batcher.cancelled();
  }

  /** Texts waiting for the model. */
  public int queued() {
    return batcher.queued();
  }

  /** Stops the pool; queued requests still run. For tests' own instances. */
  public void shutdown() {
    executor.shutdown();
  }

  /** The cache key of a text already passed through {@link #normalized(String)}. */
  private static Key key(String text) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      ByteBuffer d = ByteBuffer.wrap(md.digest(text.getBytes(StandardCharsets.UTF_8)));
      return new Key(d.getLong(), d.getLong());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
