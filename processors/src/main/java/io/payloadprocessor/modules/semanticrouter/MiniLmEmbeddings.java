package io.payloadprocessor.modules.semanticrouter;

import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;

/**
 * The all-MiniLM-L6-v2 sentence embedding model (384 dimensions, L2-normalised output), loaded once
 * per JVM from the ONNX file inside the langchain4j jar on first use and shared by every processor.
 * Embedding one text runs ONNX Runtime on the calling thread; the model is thread-safe.
 *
 * <p>Latency: a few milliseconds for a short prompt on one core, growing about linearly with
 * tokens; inputs over 510 word pieces are embedded in parts and averaged by langchain4j.
 */
public final class MiniLmEmbeddings {
  /** Vector length of the model. */
  public static final int DIMENSION = 384;

  private MiniLmEmbeddings() {}

  /** Lazy holder: the JVM's class initialisation guarantees one thread-safe load. */
  private static final class Holder {
    static final AllMiniLmL6V2EmbeddingModel MODEL = new AllMiniLmL6V2EmbeddingModel();
  }

  /** The embedding of {@code text}, unit length. */
  public static float[] embed(String text) {
    return Holder.MODEL.embed(text).content().vector();
  }

  /** How many word pieces the model counts for {@code text} (for benchmarks and limits). */
  public static int tokenCount(String text) {
    Integer n = Holder.MODEL.embed(text).tokenUsage().inputTokenCount();
    return n == null ? 0 : n;
  }
}
