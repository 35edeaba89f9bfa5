package io.payloadprocessor.modules.semanticcache;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.common.CancelScope;
import io.payloadprocessor.modules.common.MiniLmEmbeddings;
import io.payloadprocessor.modules.common.RateLimitedLog;
import io.payloadprocessor.modules.common.Vectors;
import io.payloadprocessor.modules.store.StateStore;
import io.payloadprocessor.runtime.SseParser;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.MessageView;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a chat completion from the cache when the same question (exactly, or semantically within
 * the same partition, see {@link CacheKey}) was answered before, and stores complete 200 answers
 * (JSON or assembled from the SSE stream). Marks every response with {@code x-cache:
 * hit|miss|bypass} and, when a comparison was made, {@code x-cache-similarity}.
 *
 * <p>Execution: {@link Execution#INLINE} for an exact cache in memory (hash-table lookups), else
 * {@link Execution#ASYNC}: store commands and embeddings are futures ({@link StateStore}, {@link
 * MiniLmEmbeddings}) and no thread waits for them. Comparing with many stored answers, or parsing a
 * large body, runs on the embedding pool rather than on an I/O thread. An answer assembled from a
 * stream is stored in the background when the stream ends (the client already has it): at most
 * {@value #MAX_BACKGROUND_WRITES} such writes are in flight per processor, more are dropped, and
 * outcomes are counted in {@code payload_processor_cache_background_writes_total{processor,
 * result}} (stored, failed, dropped) with at most one warning line per ten seconds.
 */
public final class SemanticCacheProcessor implements Processor, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SemanticCacheProcessor.class);

  public static final String X_CACHE = "x-cache";
  public static final String X_CACHE_SIMILARITY = "x-cache-similarity";

  /** Most answers stored in the background at once; past that, new ones are not stored. */
  static final int MAX_BACKGROUND_WRITES = 64;

  /** Stored answers compared on the calling thread; more are compared on the embedding pool. */
  static final int INLINE_COMPARISONS = 32;

  private static final RateLimitedLog WARNINGS = new RateLimitedLog(LOG);

  /** Which lookups run. */
  public enum Mode {
    EXACT(true, false),
    SEMANTIC(false, true),
    EXACT_THEN_SEMANTIC(true, true);

    final boolean exact;
    final boolean semantic;

    Mode(boolean exact, boolean semantic) {
      this.exact = exact;
      this.semantic = semantic;
    }

    /** The mode for a config value, or null. */
    public static Mode fromConfig(String value) {
      if (value == null) {
        return null;
      }
      for (Mode m : values()) {
        if (m.name().toLowerCase(Locale.ROOT).equals(value)) {
          return m;
        }
      }
      return null;
    }
  }

  /** What the request part found, for the response part of the same exchange. */
  static final class Pending {
    final String result;
    final CacheKey key;
    final Double similarity;
    volatile float[] embedding;
    volatile boolean stored;

    Pending(String result, CacheKey key, Double similarity, float[] embedding) {
      this.result = result;
      this.key = key;
      this.similarity = similarity;
      this.embedding = embedding;
    }

    boolean shouldStore() {
      return key != null;
    }
  }

  private final String name;
  private final Mode mode;
  private final double threshold;
  private final Duration ttl;
  private final String tenantHeader;
  private final int maxPerPartition;
  private final StateStore store;
  private final String prefix;
  private final MiniLmEmbeddings model;
  private final BackgroundWrites background;

  private volatile io.prometheus.metrics.core.metrics.Counter lookups;

  /**
   * @param model the embeddings of a semantic mode (null for {@link Mode#EXACT})
   * @param writeOutcomes counts background writes by result (stored, failed or dropped); see {@link
   *     SemanticCacheFactory}
   */
  public SemanticCacheProcessor(
      String name,
      Mode mode,
      double threshold,
      Duration ttl,
      String tenantHeader,
      int maxPerPartition,
      StateStore store,
      String prefix,
      MiniLmEmbeddings model,
      WriteOutcomes writeOutcomes) {
    if (mode.semantic && model == null) {
      throw new IllegalArgumentException("a semantic cache needs the embedding model");
    }
    this.name = name;
    this.mode = mode;
    this.threshold = threshold;
    this.ttl = ttl;
    this.tenantHeader = tenantHeader;
    this.maxPerPartition = maxPerPartition;
    this.store = store;
    this.prefix = prefix;
    this.model = model;
    this.background = new BackgroundWrites(writeOutcomes);
  }

  /** Where the outcome of each background write is counted. */
  public interface WriteOutcomes {
    void count(String result);
  }

  private String attribute() {
    return "semantic-cache/" + name;
  }

  @Override
  public boolean handlesResponse() {
    return true;
  }

  @Override
  public Execution execution() {
    return store.isRemote() || mode.semantic ? Execution.ASYNC : Execution.INLINE;
  }

  @Override
  public boolean streamsSse() {
    return true;
  }

  /** The synchronous form, for callers that may block (tests, a runner without ASYNC steps). */
  @Override
  public Outcome onRequest(Exchange exchange) throws Exception {
    return CancelScope.join(onRequestAsync(exchange));
  }

  @Override
  public CompletionStage<Outcome> onRequestAsync(Exchange exchange) {
    CancelScope scope = new CancelScope();
    MessageView request = exchange.request();
    CacheControl cc = CacheControl.parse(request.headers().getJoined("cache-control"));
    if (cc.noStore()) {
      return CompletableFuture.completedFuture(
          remember(exchange, new Pending("bypass", null, null, null)));
    }
    String tenant = tenantHeader == null ? "" : request.headers().get(tenantHeader);
    boolean large =
        request.hasBody() && request.rawBody().length > MiniLmEmbeddings.INLINE_BODY_LIMIT;
    CompletableFuture<CacheKey> key =
        heavy(
            large,
            () ->
                CacheKey.of(
                    request.headers().get(":path"), tenant == null ? "" : tenant, request.json()));
    return scope.bind(key.thenCompose(k -> lookUp(exchange, k, cc, scope)));
  }

  private CompletableFuture<Outcome> lookUp(
      Exchange exchange, CacheKey key, CacheControl cc, CancelScope scope) {
    if (key == null) {
      return done(remember(exchange, new Pending("bypass", null, null, null)));
    }
    if (cc.noCache()) {
      return done(remember(exchange, new Pending("bypass", key, null, null)));
    }
    if (!mode.exact) {
      return lookUpSemantic(exchange, key, scope);
    }
    return scope
        .track(store.getAsync(entryKey(key.exact())))
        .thenCompose(
            value -> {
              CachedAnswer.Stored hit = CachedAnswer.fromStored(value);
              if (hit != null) {
                return hit(exchange, hit.answer(), 1.0);
              }
              return lookUpSemantic(exchange, key, scope);
            });
  }

  private CompletableFuture<Outcome> lookUpSemantic(
      Exchange exchange, CacheKey key, CancelScope scope) {
    if (!mode.semantic || key.query().isEmpty()) {
      // A question with no text (only an image, say) has nothing to compare semantically.
      return done(remember(exchange, new Pending("miss", key, null, null)));
    }
    CompletableFuture<float[]> query = scope.track(model.embedAsync(key.query()));
    CompletableFuture<List<String>> values =
        scope
            .track(store.recentAsync(partitionKey(key.partition())))
            .thenCompose(
                members -> {
                  List<String> keys = new ArrayList<>(members.size());
                  for (String m : members) {
                    keys.add(entryKey(m));
                  }
                  return scope.track(store.getAllAsync(keys));
                });
    return query
        .thenCombine(values, Candidates::new)
        .thenCompose(
            c ->
                heavy(c.values.size() > INLINE_COMPARISONS, () -> closest(c))
                    .thenCompose(m -> answer(exchange, key, c, m)));
  }

  /** The prompt's embedding and the stored answers of its partition. */
  private record Candidates(float[] query, List<String> values) {}

  /** The stored answer closest to the prompt; {@code answer} is null when there is none. */
  private record Closest(CachedAnswer answer, double similarity) {}

  /** The comparisons: the CPU-heavy part, run where {@link #heavy} says. */
  private static Closest closest(Candidates c) {
    double best = -1;
    CachedAnswer bestAnswer = null;
    for (String value : c.values()) {
      CachedAnswer.Stored s = CachedAnswer.fromStored(value);
      if (s == null || s.embedding() == null) {
        continue; // expired, or stored by an exact-only cache
      }
      double sim = Vectors.dot(c.query(), s.embedding());
      if (sim > best) {
        best = sim;
        bestAnswer = s.answer();
      }
    }
    return new Closest(bestAnswer, best);
  }

  private CompletableFuture<Outcome> answer(
      Exchange exchange, CacheKey key, Candidates c, Closest m) {
    if (m.answer() != null && m.similarity() >= threshold) {
      return hit(exchange, m.answer(), m.similarity());
    }
    return done(
        remember(
            exchange,
            new Pending("miss", key, m.answer() == null ? null : m.similarity(), c.query())));
  }

  /** {@code work} on the embedding pool when heavy and a pool exists, else on this thread. */
  private <T> CompletableFuture<T> heavy(boolean heavy, java.util.concurrent.Callable<T> work) {
    if (model != null) {
      return model.compute(heavy, work);
    }
    try {
      return CompletableFuture.completedFuture(work.call());
    } catch (Exception e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static CompletableFuture<Outcome> done(Outcome o) {
    return CompletableFuture.completedFuture(o);
  }

  /** Counts lookups by result in {@code counter} (labels: processor, result); returns this. */
  public SemanticCacheProcessor countLookupsIn(io.prometheus.metrics.core.metrics.Counter counter) {
    this.lookups = counter;
    return this;
  }

  private void countLookup(String result) {
    if (lookups != null) {
      lookups.labelValues(name, result).inc();
    }
  }

  private Outcome remember(Exchange exchange, Pending pending) {
    countLookup(pending.result);
    exchange.attributes().put(attribute(), pending);
    return Outcome.proceed();
  }

  private CompletableFuture<Outcome> hit(
      Exchange exchange, CachedAnswer answer, double similarity) {
    JsonNode body;
    try {
      body = exchange.request().json(); // parsed already, for the key
    } catch (BodyException e) {
      return CompletableFuture.failedFuture(e);
    }
    boolean stream = body.path("stream").asBoolean(false);
    boolean includeUsage = body.path("stream_options").path("include_usage").asBoolean(false);
    String id = "chatcmpl-cache-" + UUID.randomUUID().toString().replace("-", "");
    long created = System.currentTimeMillis() / 1000;
    Headers headers = new Headers();
    byte[] out;
    if (stream) {
      headers.set("content-type", "text/event-stream");
      headers.set("cache-control", "no-cache");
      out = answer.toSse(id, created, includeUsage);
    } else {
      headers.set("content-type", "application/json");
      out = answer.toChatCompletion(id, created).toString().getBytes(StandardCharsets.UTF_8);
    }
    countLookup("hit");
    headers.set(X_CACHE, "hit");
    headers.set(X_CACHE_SIMILARITY, formatSimilarity(similarity));
    Mutation md = Mutation.create().metadata("cache", "hit");
    return done(new Outcome.Respond(200, headers, out, md));
  }

  static String formatSimilarity(double similarity) {
    return String.format(Locale.ROOT, "%.4f", Math.min(1.0, Math.max(-1.0, similarity)));
  }

  /** The synchronous form, for callers that may block (tests, a runner without ASYNC steps). */
  @Override
  public Outcome onResponse(Exchange exchange) throws Exception {
    return CancelScope.join(onResponseAsync(exchange));
  }

  /**
   * Marks the response and stores a complete 200 answer; the step completes when the store has it
   * (a store failure fails the step, by its failure mode).
   */
  @Override
  public CompletionStage<Outcome> onResponseAsync(Exchange exchange) {
    Pending p = (Pending) exchange.attributes().get(attribute());
    if (p == null) {
      return done(Outcome.proceed());
    }
    Outcome marked = Outcome.proceed(marks(p));
    if (!p.shouldStore() || p.stored || exchange.responseStatus() != 200) {
      return done(marked);
    }
    MessageView response = exchange.response();
    if (!response.hasBody()) {
      return done(marked);
    }
    CancelScope scope = new CancelScope();
    boolean large = response.rawBody().length > MiniLmEmbeddings.INLINE_BODY_LIMIT;
    return scope.bind(
        heavy(
                large,
                () ->
                    "text/event-stream".equals(response.mediaType())
                        ? fromBufferedStream(response)
                        : fromJson(response))
            .thenCompose(
                answer ->
                    answer == null
                        ? CompletableFuture.<Void>completedFuture(null)
                        : save(p, answer, scope))
            .thenApply(v -> marked));
  }

  /** x-cache (and similarity) on a streamed response: its headers can change only now. */
  @Override
  public Outcome onSseHeaders(Exchange exchange) {
    Pending p = (Pending) exchange.attributes().get(attribute());
    return p == null ? Outcome.proceed() : Outcome.proceed(marks(p));
  }

  private static Mutation marks(Pending p) {
    Mutation m = Mutation.create().setHeader(X_CACHE, p.result).metadata("cache", p.result);
    if (p.similarity != null) {
      m.setHeader(X_CACHE_SIMILARITY, formatSimilarity(p.similarity));
    }
    return m;
  }

  private static CachedAnswer fromJson(MessageView response) {
    try {
      return CachedAnswer.fromChatCompletion(response.json());
    } catch (BodyException e) {
      return null; // an unreadable answer is not cached; passing it on is not this cache's call
    }
  }

  /** A stream the server buffered whole (e.g. when no processor before this one streams). */
  private static CachedAnswer fromBufferedStream(MessageView response) {
    try {
      SseParser parser = new SseParser();
      SseAnswerAssembler assembler = new SseAnswerAssembler();
      parser.feed(response.body()).forEach(assembler::accept);
      parser.finish().forEach(assembler::accept);
      return assembler.result();
    } catch (BodyException | SseParser.SseException e) {
      return null;
    }
  }

  /** Stores {@code answer} (embedding it first if the request part did not). */
  private CompletableFuture<Void> save(Pending p, CachedAnswer answer, CancelScope scope) {
    p.stored = true;
    boolean semantic = mode.semantic && !p.key.query().isEmpty();
    CompletableFuture<float[]> embedding =
        !semantic
            ? CompletableFuture.completedFuture(null)
            : p.embedding != null
                ? CompletableFuture.completedFuture(p.embedding)
                : scope.track(model.embedAsync(p.key.query()));
    return embedding.thenCompose(
        vector -> {
          CompletableFuture<Void> put =
              scope.track(store.putAsync(entryKey(p.key.exact()), answer.toStored(vector), ttl));
          if (!semantic) {
            return put;
          }
          return put.thenCompose(
              v ->
                  scope.track(
                      store.pushRecentAsync(
                          partitionKey(p.key.partition()), p.key.exact(), maxPerPartition, ttl)));
        });
  }

  @Override
  public SseStreamProcessor openSseStream(Exchange exchange) {
    Pending p = (Pending) exchange.attributes().get(attribute());
    boolean store = p != null && p.shouldStore() && exchange.responseStatus() == 200;
    SseAnswerAssembler assembler = store ? new SseAnswerAssembler() : null;
    return new SseStreamProcessor() {
      @Override
      public StreamStep onEvent(SseEvent event) {
        if (assembler != null) {
          assembler.accept(event);
        }
        return StreamStep.pass(event);
      }

      @Override
      public StreamStep onEnd() {
        if (assembler != null && !p.stored) {
          CachedAnswer answer = assembler.result();
          if (answer != null) {
            // The client already has its answer: storing it must not hold the stream up.
            background.start(() -> save(p, answer, new CancelScope()));
          }
        }
        return StreamStep.emit(List.of());
      }
    };
  }

  String entryKey(String exact) {
    return prefix + "e:" + exact;
  }

  String partitionKey(String partition) {
    return prefix + "p:" + partition;
  }

  /**
   * Waits up to {@code timeout} for the background writes in flight (tests; close). Returns whether
   * none is left.
   */
  public boolean awaitBackgroundWrites(Duration timeout) throws InterruptedException {
    return background.await(timeout);
  }

  /** Lets background writes finish (up to two seconds), then closes the store. */
  @Override
  public void close() {
    try {
      background.await(Duration.ofSeconds(2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    store.close();
  }

  /**
   * Store writes nobody waits for, bounded in number; outcomes are counted, failures logged at most
   * once per interval.
   */
  // CompletableFuture keeps Object's identity equality, which is what inFlight needs.
  @SuppressWarnings("CollectionUndefinedEquality")
  private final class BackgroundWrites {
    private final Semaphore slots = new Semaphore(MAX_BACKGROUND_WRITES);
    private final Set<CompletableFuture<Void>> inFlight = ConcurrentHashMap.newKeySet();
    private final WriteOutcomes outcomes;
    private final AtomicLong failed = new AtomicLong();

    BackgroundWrites(WriteOutcomes outcomes) {
      this.outcomes = outcomes;
    }

    void start(java.util.function.Supplier<CompletableFuture<Void>> write) {
      if (!slots.tryAcquire()) {
        outcomes.count("dropped");
        WARNINGS.warn(
            name + "/dropped",
            "{}: {} answers are being stored already; a streamed answer was not cached",
            name,
            MAX_BACKGROUND_WRITES);
        return;
      }
      // Completes once the write's outcome is counted: await() waits for this, not for the write,
      // so that a caller reading the counters after await() sees the outcome.
      CompletableFuture<Void> settled = new CompletableFuture<>();
      inFlight.add(settled);
      var unused =
          started(write)
              .whenComplete(
                  (v, e) -> {
                    try {
                      if (e == null) {
                        outcomes.count("stored");
                      } else {
                        outcomes.count("failed");
                        long n = failed.incrementAndGet();
                        WARNINGS.warn(
                            name + "/failed",
                            "{}: could not store a streamed answer ({} so far): {}",
                            name,
                            n,
                            CancelScope.unwrapped(e).getMessage());
                      }
                    } finally {
                      inFlight.remove(settled);
                      slots.release();
                      settled.complete(null);
                    }
                  });
    }

    private CompletableFuture<Void> started(
        java.util.function.Supplier<CompletableFuture<Void>> write) {
      try {
        return write.get();
      } catch (RuntimeException e) {
        return CompletableFuture.failedFuture(e);
      }
    }

    boolean await(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      for (CompletableFuture<Void> f : List.copyOf(inFlight)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return inFlight.isEmpty();
        }
        try {
          f.get(left, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
          // counted where it completes
        }
      }
      return inFlight.isEmpty();
    }
  }
}
