package io.payloadprocessor.modules.semanticcache;

import io.lettuce.core.RedisURI;
import io.payloadprocessor.modules.TypedModuleFactory;
import io.payloadprocessor.modules.common.MiniLmEmbeddings;
import io.payloadprocessor.modules.common.SharedCounters;
import io.payloadprocessor.modules.store.StoreConfig;
import io.payloadprocessor.modules.store.Stores;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.Processor;
import io.prometheus.metrics.core.metrics.Counter;
import java.time.Duration;
import java.util.List;

/** The {@code semantic-cache} module: exact and semantic response cache for chat completions. */
public final class SemanticCacheFactory extends TypedModuleFactory<SemanticCacheConfig> {
  public static final String ID = "semantic-cache";

  /** Counter of background writes (see {@link SemanticCacheProcessor}). */
  public static final String BACKGROUND_WRITES = "payload_processor_cache_background_writes_total";

  public SemanticCacheFactory() {
    super(ID, SemanticCacheConfig.class);
  }

  /** Metric name as exported. */
  public static final String LOOKUPS_METRIC = "payload_processor_cache_lookups_total";

  @Override
  public java.util.Set<String> optionKeys() {
    return java.util.Set.of(
        Stores.REDIS_URL_OPTION,
        MiniLmEmbeddings.THREADS_OPTION,
        MiniLmEmbeddings.CACHE_ENTRIES_OPTION);
  }

  @Override
  protected Processor build(
      String processorName,
      SemanticCacheConfig c,
      ModuleContext context,
      List<ConfigProblem> problems)
      throws ConfigException {
    SemanticCacheProcessor.Mode mode = SemanticCacheProcessor.Mode.fromConfig(c.mode);
    if (mode == null) {
      problems.add(
          new ConfigProblem(
              "mode", "must be exact, semantic or exact_then_semantic, not " + c.mode));
    }
    if (!(c.similarityThreshold > 0 && c.similarityThreshold <= 1)) {
      problems.add(new ConfigProblem("similarityThreshold", "must be in (0, 1]"));
    }
    if (c.ttlSeconds <= 0) {
      problems.add(new ConfigProblem("ttlSeconds", "must be positive"));
    }
    if (c.tenantHeader != null && (c.tenantHeader.isBlank() || c.tenantHeader.startsWith(":"))) {
      problems.add(new ConfigProblem("tenantHeader", "must be a header name"));
    }
    if (c.maxEntries <= 0) {
      problems.add(new ConfigProblem("maxEntries", "must be positive"));
    }
    if (c.maxEntriesPerPartition <= 0 || c.maxEntriesPerPartition > 10_000) {
      problems.add(new ConfigProblem("maxEntriesPerPartition", "must be in 1..10000"));
    }
    StoreConfig storeConfig = c.store == null ? new StoreConfig() : c.store;
    RedisURI redis = Stores.validate(storeConfig, context, "store", problems);
    throwIfAny(problems);
    MiniLmEmbeddings model = null;
    if (mode.semantic) {
      model = MiniLmEmbeddings.shared(context);
      model.warmUpAsync();
    }
    Counter writes =
        SharedCounters.counter(
            context.metrics(),
            BACKGROUND_WRITES,
            "Answers of streamed responses stored in the background, by result (stored, failed,"
                + " dropped when too many were in flight).",
            "processor",
            "result");
    return new SemanticCacheProcessor(
            processorName,
            mode,
            c.similarityThreshold,
            Duration.ofSeconds(c.ttlSeconds),
            c.tenantHeader,
            c.maxEntriesPerPartition,
            Stores.open(redis, c.maxEntries),
            Stores.keyPrefix(storeConfig, ID),
            model,
            result -> writes.labelValues(processorName, result).inc())
        .countLookupsIn(
            SharedCounters.counter(
                context.metrics(),
                LOOKUPS_METRIC,
                "Semantic cache lookups by processor and result (hit, miss, bypass)",
                "processor",
                "result"));
  }
}
