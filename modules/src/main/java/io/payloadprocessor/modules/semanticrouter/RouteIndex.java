package io.payloadprocessor.modules.semanticrouter;

import io.payloadprocessor.modules.common.Vectors;
import java.util.List;

/**
 * The routes' example embeddings and centroids, built once; answers which route is closest to a
 * prompt embedding by cosine similarity. Immutable and thread-safe.
 */
final class RouteIndex {
  /** The best route and its score (cosine similarity in [-1, 1]). */
  record Nearest(int route, double score) {}

  private final float[][] centroids;
  private final float[][][] examples;
  private final boolean nearest;

  /**
   * @param exampleEmbeddings per route, the unit-length embeddings of its examples
   * @param nearest compare with the nearest example instead of the centroid
   */
  RouteIndex(List<List<float[]>> exampleEmbeddings, boolean nearest) {
    this.nearest = nearest;
    int n = exampleEmbeddings.size();
    this.centroids = new float[n][];
    this.examples = new float[n][][];
    for (int r = 0; r < n; r++) {
      List<float[]> vs = exampleEmbeddings.get(r);
      examples[r] = vs.toArray(new float[0][]);
      float[] c = new float[vs.get(0).length];
      for (float[] v : vs) {
        for (int i = 0; i < c.length; i++) {
          c[i] += v[i];
        }
      }
      centroids[r] = Vectors.unit(c);
    }
  }

  /** The closest route to a unit-length query vector. */
  Nearest nearest(float[] query) {
    int best = -1;
    double bestScore = Double.NEGATIVE_INFINITY;
    for (int r = 0; r < centroids.length; r++) {
      double s;
      if (nearest) {
        s = Double.NEGATIVE_INFINITY;
        for (float[] e : examples[r]) {
          s = Math.max(s, Vectors.dot(query, e));
        }
      } else {
        s = Vectors.dot(query, centroids[r]);
      }
      if (s > bestScore) {
        bestScore = s;
        best = r;
      }
    }
    return new Nearest(best, bestScore);
  }
}
