package io.payloadprocessor.modules.semanticcache;

import io.payloadprocessor.modules.common.MiniLmEmbeddings;

/**
 * Cache-side use of the one all-MiniLM-L6-v2 model of the JVM ({@link MiniLmEmbeddings}, shared
 * with the semantic router and loaded lazily on first use: processors that only do exact lookups
 * never pay for it): normalised vectors and their similarity.
 */
public final class Embeddings {
  private Embeddings() {}

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
    return normalise(MiniLmEmbeddings.embed(text));
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
