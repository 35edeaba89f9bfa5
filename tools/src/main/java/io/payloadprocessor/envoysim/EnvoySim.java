package io.payloadprocessor.envoysim;

import io.grpc.ManagedChannel;
import java.util.Objects;

/**
 * Plays Envoy v1.34's HTTP ext_proc filter against an ext_proc gRPC server reachable through a
 * caller-owned channel: one bidi {@code Process} stream per exchange, messages, pacing, mutation
 * rules, timeouts and failure handling as Envoy does them, and reports the resulting HTTP outcome.
 * Thread-safe: each {@link #exchange} call is independent.
 */
public final class EnvoySim {
  private final ManagedChannel channel;
  private final EnvoyFilterConfig config;
  private final boolean tracing;

  /**
   * Creates a simulator.
   *
   * @param channel channel to the ext_proc server; the caller owns (and shuts down) it
   * @param config the simulated filter configuration
   */
  public EnvoySim(ManagedChannel channel, EnvoyFilterConfig config) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.config = Objects.requireNonNull(config, "config");
    this.tracing = true;
  }

  private EnvoySim(ManagedChannel channel, EnvoyFilterConfig config, boolean tracing) {
    this.channel = channel;
    this.config = config;
    this.tracing = tracing;
  }

  /**
   * A simulator identical to this one with the message trace on or off (on by default). Load
   * drivers turn it off: rendering every message costs more than the exchange itself.
   */
  public EnvoySim withTracing(boolean enabled) {
    return new EnvoySim(channel, config, enabled);
  }

  /** The filter configuration in force. */
  public EnvoyFilterConfig config() {
    return config;
  }

  /**
   * Runs one HTTP exchange with default client behaviour. Blocks until the client has its response
   * (or the exchange ended otherwise); bounded by the message and route timeouts.
   */
  public HttpOutcome exchange(HttpRequest request, Upstream upstream) {
    return exchange(request, upstream, ClientBehaviour.defaults());
  }

  /** Runs one HTTP exchange with the given client behaviour. */
  public HttpOutcome exchange(HttpRequest request, Upstream upstream, ClientBehaviour behaviour) {
    Objects.requireNonNull(request, "request");
    Objects.requireNonNull(upstream, "upstream");
    Objects.requireNonNull(behaviour, "behaviour");
    return new ExchangeRun(channel, config, request, upstream, behaviour, tracing).run();
  }
}
