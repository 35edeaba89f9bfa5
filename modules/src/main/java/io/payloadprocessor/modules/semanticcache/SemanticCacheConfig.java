package io.payloadprocessor.modules.semanticcache;

import io.payloadprocessor.modules.store.StoreConfig;

/** The {@code config} of a {@code semantic-cache} module. */
public final class SemanticCacheConfig {
  /** {@code exact}, {@code semantic} or {@code exact_then_semantic}. */
  public String mode = "exact_then_semantic";

  /** Lowest cosine similarity of two questions that counts as the same question. */
  public double similarityThreshold = 0.92;

  /** How long an answer stays in the cache. */
  public long ttlSeconds = 3600;

  /** Request header naming the tenant; answers are never shared across tenants. */
  public String tenantHeader;

  /** Bound of the in-memory store (entries). */
  public long maxEntries = 10_000;

  /** How many recent answers of one partition a semantic lookup compares with. */
  public int maxEntriesPerPartition = 256;

  public StoreConfig store = new StoreConfig();
}
