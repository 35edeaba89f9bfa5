package io.payloadprocessor.modules.semanticcache;

import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;

/**
 * The all-MiniLM-L6-v2 sentence embedding model (ONNX, shipped in its jar), loaded lazily once per
 * JVM on first use: loading takes about a second and a few tens of MB, which processors that only
 * do exact lookups never pay.
 */
public final class Embeddings {
  private Embeddings() {}

  /** Initialization-on-demand holder: the JVM loads the model exactly once, thread-safely. */
  private static final class Holder {
    static final EmbeddingModel MODEL = new AllMiniLmL6V2EmbeddingModel();
  }

  /**
   * Starts loading the model on a background daemon thread, so that the first request of a semantic
   * cache does not pay the load (about two seconds) inside its timeout.
   */
  public static void warmUpAsync() {
    Thread t = new Thread(() -> embed("warm up"), "minilm-warm-up");
    t.setDaemon(true);
    t.start();
  }

  /** The embedding of {@code text}, L2-normalised so that cosine similarity is a dot product. */
  public static float[] embed(String text) {
    float[] v = Holder.MODEL.embed(text).content().vector();
    return normalise(v);
  }

  static float[] normalise(float[] v) {
    double norm = 0;
    for (float x : v) {
      norm += (double) x * x;
    }
    norm = Math.sqrt(norm);
    if (norm == 0) {
      return v;
    }
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) (v[i] / norm);
    }
    return out;
  }

  /** Cosine similarity of two normalised vectors; 0 if their dimensions differ. */
  public static double cosine(float[] a, float[] b) {
    if (a.length != b.length) {
      return 0;
    }
    double dot = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
    }
    return dot;
  }
}
