package io.payloadprocessor.server.pipeline;

/** {@code spec.targetRef}: the Gateway, ListenerSet or route a PayloadProcessor attaches to. */
public record TargetRef(String group, String kind, String name, String namespace) {

  /** Gateway- and ListenerSet-targeted documents apply to every exchange. */
  public boolean isGatewayLevel() {
    return "Gateway".equals(kind) || "ListenerSet".equals(kind) || "XListenerSet".equals(kind);
  }

  /** Identity used to find two documents attached to the same target. */
  public String key() {
    return group + "/" + kind + "/" + (namespace == null ? "" : namespace) + "/" + name;
  }

  /**
   * Whether a route named by Envoy (gRPC initial metadata {@value Pipeline#ROUTE_METADATA_KEY},
   * {@code name} or {@code namespace/name}) is this target.
   */
  public boolean matchesRoute(String routeRef) {
    if (routeRef == null || routeRef.isEmpty() || isGatewayLevel()) {
      return false;
    }
    int slash = routeRef.indexOf('/');
    if (slash < 0) {
      return routeRef.equals(name);
    }
    String ns = routeRef.substring(0, slash);
    return routeRef.substring(slash + 1).equals(name)
        && (namespace == null || ns.equals(namespace));
  }

  @Override
  public String toString() {
    return kind + "/" + (namespace == null ? "" : namespace + "/") + name;
  }
}
