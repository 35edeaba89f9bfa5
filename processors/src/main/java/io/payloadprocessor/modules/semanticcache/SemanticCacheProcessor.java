package io.payloadprocessor.modules.semanticcache;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.store.StateStore;
import io.payloadprocessor.spi.BackendException;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.MessageView;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseParser;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a chat completion from the cache when the same question (exactly, or semantically within
 * the same partition, see {@link CacheKey}) was answered before, and stores complete 200 answers
 * (JSON or assembled from the SSE stream). Marks every response with {@code x-cache:
 * hit|miss|bypass} and, when a comparison was made, {@code x-cache-similarity}.
 */
public final class SemanticCacheProcessor implements Processor, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SemanticCacheProcessor.class);

  public static final String X_CACHE = "x-cache";
  public static final String X_CACHE_SIMILARITY = "x-cache-similarity";

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

  private io.prometheus.metrics.core.metrics.Counter lookups;

  public SemanticCacheProcessor(
      String name,
      Mode mode,
      double threshold,
      Duration ttl,
      String tenantHeader,
      int maxPerPartition,
      StateStore store,
      String prefix) {
    this.name = name;
    this.mode = mode;
    this.threshold = threshold;
    this.ttl = ttl;
    this.tenantHeader = tenantHeader;
    this.maxPerPartition = maxPerPartition;
    this.store = store;
    this.prefix = prefix;
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
    // Redis is I/O; the embedding model is CPU work of milliseconds (a second when it first loads).
    return store.isRemote() || mode.semantic ? Execution.CPU : Execution.INLINE;
  }

  @Override
  public boolean streamsSse() {
    return true;
  }

  @Override
  public Outcome onRequest(Exchange exchange) throws BodyException, BackendException {
    MessageView request = exchange.request();
    CacheControl cc = CacheControl.parse(request.headers().getJoined("cache-control"));
    if (cc.noStore()) {
      return remember(exchange, new Pending("bypass", null, null, null));
    }
    String tenant = tenantHeader == null ? "" : request.headers().get(tenantHeader);
    CacheKey key =
        CacheKey.of(request.headers().get(":path"), tenant == null ? "" : tenant, request.json());
    if (key == null) {
      return remember(exchange, new Pending("bypass", null, null, null));
    }
    if (cc.noCache()) {
      return remember(exchange, new Pending("bypass", key, null, null));
    }
    if (mode.exact) {
      CachedAnswer.Stored hit = CachedAnswer.fromStored(store.get(entryKey(key.exact())));
      if (hit != null) {
        return hit(exchange, hit.answer(), 1.0);
      }
    }
    if (!mode.semantic || key.query().isEmpty()) {
      // A question with no text (only an image, say) has nothing to compare semantically.
      return remember(exchange, new Pending("miss", key, null, null));
    }
    float[] query = Embeddings.embed(key.query());
    List<String> members = store.recent(partitionKey(key.partition()));
    List<String> keys = new ArrayList<>(members.size());
    for (String m : members) {
      keys.add(entryKey(m));
    }
    double best = -1;
    CachedAnswer bestAnswer = null;
    for (String value : store.getAll(keys)) {
      CachedAnswer.Stored s = CachedAnswer.fromStored(value);
      if (s == null || s.embedding() == null) {
        continue; // expired, or stored by an exact-only cache
      }
      double sim = Embeddings.cosine(query, s.embedding());
      if (sim > best) {
        best = sim;
        bestAnswer = s.answer();
      }
    }
    if (bestAnswer != null && best >= threshold) {
      return hit(exchange, bestAnswer, best);
    }
    return remember(exchange, new Pending("miss", key, bestAnswer == null ? null : best, query));
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

  private Outcome hit(Exchange exchange, CachedAnswer answer, double similarity)
      throws BodyException {
    JsonNode body = exchange.request().json();
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
    return new Outcome.Respond(200, headers, out, md);
  }

  static String formatSimilarity(double similarity) {
    return String.format(Locale.ROOT, "%.4f", Math.min(1.0, Math.max(-1.0, similarity)));
  }

  @Override
  public Outcome onResponse(Exchange exchange) throws BackendException {
    Pending p = (Pending) exchange.attributes().get(attribute());
    if (p == null) {
      return Outcome.proceed();
    }
    Mutation m = marks(p);
    if (p.shouldStore() && !p.stored && exchange.responseStatus() == 200) {
      MessageView response = exchange.response();
      CachedAnswer answer = null;
      if (response.hasBody()) {
        answer =
            "text/event-stream".equals(response.mediaType())
                ? fromBufferedStream(response)
                : fromJson(response);
      }
      if (answer != null) {
        save(p, answer);
      }
    }
    return Outcome.proceed(m);
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

  private void save(Pending p, CachedAnswer answer) throws BackendException {
    p.stored = true;
    float[] embedding = null;
    boolean semantic = mode.semantic && !p.key.query().isEmpty();
    if (semantic) {
      embedding = p.embedding != null ? p.embedding : Embeddings.embed(p.key.query());
    }
    store.put(entryKey(p.key.exact()), answer.toStored(embedding), ttl);
    if (semantic) {
      store.pushRecent(partitionKey(p.key.partition()), p.key.exact(), maxPerPartition, ttl);
    }
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
            try {
              save(p, answer);
            } catch (BackendException e) {
              // The client already has its answer; failing to cache it only costs a later miss.
              LOG.warn("{}: could not store a streamed answer: {}", name, e.getMessage());
            }
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

  @Override
  public void close() {
    store.close();
  }
}
