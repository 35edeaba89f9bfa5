package io.payloadprocessor.server.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The PayloadProcessor documents in force, flattened into ordered steps: PreRouting before
 * PostRouting; within a stage Gateway-targeted before route-targeted; then creation timestamp, then
 * load order. Immutable; a reload builds a new one and swaps it atomically, and exchanges in flight
 * finish on the one they started with.
 */
public final class Pipeline implements AutoCloseable {
  /**
   * gRPC initial metadata key through which Envoy names the route of an exchange ({@code name} or
   * {@code namespace/name}); set it per route with {@code ExtProcPerRoute.overrides
   * .grpc_initial_metadata}. Route-targeted documents apply only when it matches.
   */
  public static final String ROUTE_METADATA_KEY = "x-payload-processor-route";

  /**
   * gRPC initial metadata key that restricts an ext_proc filter instance to one stage ({@code
   * PreRouting} or {@code PostRouting}), for deployments that run one filter before and one after
   * routing. Without it, both stages run in order on the same stream.
   */
  public static final String STAGE_METADATA_KEY = "x-payload-processor-phase";

  private final List<Step> steps;
  private final List<AutoCloseable> resources;
  private final boolean allGatewayLevel;

  public Pipeline(List<Step> steps, List<AutoCloseable> resources) {
    this.steps = List.copyOf(steps);
    this.resources = List.copyOf(resources);
    this.allGatewayLevel = this.steps.stream().allMatch(s -> s.target().isGatewayLevel());
  }

  public static Pipeline of(List<Step> steps) {
    return new Pipeline(steps, List.of());
  }

  /** Every step in order. */
  public List<Step> steps() {
    return steps;
  }

  /** The steps that apply to one exchange, given the gRPC initial metadata of its stream. */
  public List<Step> select(Map<String, String> streamMetadata) {
    String route = streamMetadata.get(ROUTE_METADATA_KEY);
    Stage only = Stage.fromYaml(streamMetadata.getOrDefault(STAGE_METADATA_KEY, ""));
    if (route == null && only == null && allGatewayLevel) {
      return steps; // the common case, decided once per pipeline rather than per exchange
    }
    List<Step> selected = new ArrayList<>(steps.size());
    for (Step s : steps) {
      if (only != null && s.stage() != only) {
        continue;
      }
      if (s.target().isGatewayLevel() || s.target().matchesRoute(route)) {
        selected.add(s);
      }
    }
    return selected;
  }

  @Override
  public void close() {
    for (AutoCloseable r : resources) {
      try {
        r.close();
      } catch (Exception e) {
        // Best effort: an old pipeline's resources must not break a reload.
      }
    }
  }
}
