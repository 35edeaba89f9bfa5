package io.payloadprocessor.server.extprocess;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Resolves ExtProcess {@code backendRef}s to addresses and pools one gRPC channel per address for
 * the life of the server (channels multiplex streams; reloads reuse them). A backend resolves to
 * {@code <name>.<namespace>.svc.cluster.local:<port>} unless the static map ({@code --backend
 * NAME=HOST:PORT}) names it.
 */
public final class BackendChannels implements AutoCloseable {
  private final Map<String, String> staticMap;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  public BackendChannels(Map<String, String> staticMap) {
    this.staticMap = Map.copyOf(staticMap);
  }

  /** The address a backend resolves to. */
  public String resolve(String name, String namespace, int port) {
    String fixed = staticMap.get(name);
    if (fixed != null) {
      return fixed;
    }
    String ns = namespace == null || namespace.isEmpty() ? "default" : namespace;
    return name + "." + ns + ".svc.cluster.local:" + port;
  }

  public ManagedChannel channel(String target) {
    return channels.computeIfAbsent(
        target,
        t ->
            NettyChannelBuilder.forTarget(t)
                .usePlaintext()
                .maxInboundMessageSize(64 << 20)
                // Answers are handled on the event loop: the handler only completes a future.
                .directExecutor()
                .build());
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel c : channels.values()) {
      try {
        c.awaitTermination(2, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }
}
