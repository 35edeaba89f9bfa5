package io.payloadprocessor.modules.common;

/** Vector arithmetic for embeddings: unit length and cosine similarity of unit vectors. */
public final class Vectors {
  private Vectors() {}

  /** The dot product; for unit-length vectors, their cosine similarity. 0 if lengths differ. */
  public static double dot(float[] a, float[] b) {
    if (a.length != b.length) {
      return 0;
    }
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (double) a[i] * b[i];
    }
    return s;
  }

  /** A new vector of length 1 in the direction of {@code v}; all zeros if {@code v} is zero. */
  public static float[] unit(float[] v) {
    double norm = Math.sqrt(dot(v, v));
    float[] out = new float[v.length];
    if (norm == 0) {
      return out;
    }
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) (v[i] / norm);
    }
    return out;
  }
}
