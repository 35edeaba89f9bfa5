package io.payloadprocessor.envoysim;

import com.google.protobuf.Struct;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The simulated Envoy {@code envoy.filters.http.ext_proc} filter configuration (plus the few
 * listener/route settings that shape its behaviour). Immutable; build with {@link #builder()}.
 * Defaults are Envoy's.
 */
public final class EnvoyFilterConfig {
  /** Envoy's default processing mode: both header modes SEND, bodies NONE, trailers SKIP. */
  public static final ProcessingMode DEFAULT_MODE =
      ProcessingMode.newBuilder()
          .setRequestHeaderMode(HeaderSendMode.SEND)
          .setResponseHeaderMode(HeaderSendMode.SEND)
          .setRequestBodyMode(BodySendMode.NONE)
          .setResponseBodyMode(BodySendMode.NONE)
          .setRequestTrailerMode(HeaderSendMode.SKIP)
          .setResponseTrailerMode(HeaderSendMode.SKIP)
          .build();

  private final ProcessingMode processingMode;
  private final Duration messageTimeout;
  private final Duration maxMessageTimeout;
  private final boolean failureModeAllow;
  private final boolean allowModeOverride;
  private final List<ProcessingMode> allowedOverrideModes;
  private final long bufferLimitBytes;
  private final Map<String, String> grpcInitialMetadata;
  private final Struct requestAttributes;
  private final Struct responseAttributes;
  private final boolean observabilityMode;
  private final Duration deferredCloseTimeout;
  private final boolean sendBodyWithoutWaitingForHeaderResponse;
  private final Set<String> receivingNamespaces;
  private final int maxHeadersCount;
  private final int maxHeadersKb;
  private final boolean disallowIsError;
  private final Duration routeTimeout;
  private final boolean gracefulGrpcClose;

  private EnvoyFilterConfig(Builder b) {
    this.processingMode = b.processingMode;
    this.messageTimeout = b.messageTimeout;
    this.maxMessageTimeout = b.maxMessageTimeout;
    this.failureModeAllow = b.failureModeAllow;
    this.allowModeOverride = b.allowModeOverride;
    this.allowedOverrideModes = List.copyOf(b.allowedOverrideModes);
    this.bufferLimitBytes = b.bufferLimitBytes;
    this.grpcInitialMetadata = Map.copyOf(b.grpcInitialMetadata);
    this.requestAttributes = b.requestAttributes;
    this.responseAttributes = b.responseAttributes;
    this.observabilityMode = b.observabilityMode;
    this.deferredCloseTimeout = b.deferredCloseTimeout;
    this.sendBodyWithoutWaitingForHeaderResponse = b.sendBodyWithoutWaitingForHeaderResponse;
    this.receivingNamespaces = Set.copyOf(b.receivingNamespaces);
    this.maxHeadersCount = b.maxHeadersCount;
    this.maxHeadersKb = b.maxHeadersKb;
    this.disallowIsError = b.disallowIsError;
    this.routeTimeout = b.routeTimeout;
    this.gracefulGrpcClose = b.gracefulGrpcClose;
  }

  /** A builder with Envoy's defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /** A config with Envoy's defaults. */
  public static EnvoyFilterConfig defaults() {
    return builder().build();
  }

  /** A builder initialised from this config. */
  public Builder toBuilder() {
    return new Builder()
        .processingMode(processingMode)
        .messageTimeout(messageTimeout)
        .maxMessageTimeout(maxMessageTimeout)
        .failureModeAllow(failureModeAllow)
        .allowModeOverride(allowModeOverride)
        .allowedOverrideModes(allowedOverrideModes)
        .bufferLimitBytes(bufferLimitBytes)
        .grpcInitialMetadata(grpcInitialMetadata)
        .requestAttributes(requestAttributes)
        .responseAttributes(responseAttributes)
        .observabilityMode(observabilityMode)
        .deferredCloseTimeout(deferredCloseTimeout)
        .sendBodyWithoutWaitingForHeaderResponse(sendBodyWithoutWaitingForHeaderResponse)
        .receivingNamespaces(receivingNamespaces)
        .maxHeadersCount(maxHeadersCount)
        .maxHeadersKb(maxHeadersKb)
        .disallowIsError(disallowIsError)
        .routeTimeout(routeTimeout)
        .gracefulGrpcClose(gracefulGrpcClose);
  }

  /** {@code processing_mode}. */
  public ProcessingMode processingMode() {
    return processingMode;
  }

  /** {@code message_timeout} (default 200 ms). */
  public Duration messageTimeout() {
    return messageTimeout;
  }

  /** {@code max_message_timeout} (default 0: {@code override_message_timeout} not allowed). */
  public Duration maxMessageTimeout() {
    return maxMessageTimeout;
  }

  /** {@code failure_mode_allow}. */
  public boolean failureModeAllow() {
    return failureModeAllow;
  }

  /** {@code allow_mode_override}. */
  public boolean allowModeOverride() {
    return allowModeOverride;
  }

  /** {@code allowed_override_modes}. */
  public List<ProcessingMode> allowedOverrideModes() {
    return allowedOverrideModes;
  }

  /** Connection buffer limit ({@code per_connection_buffer_limit_bytes}, default 1 MiB). */
  public long bufferLimitBytes() {
    return bufferLimitBytes;
  }

  /** {@code grpc_initial_metadata}, sent as gRPC call metadata. */
  public Map<String, String> grpcInitialMetadata() {
    return grpcInitialMetadata;
  }

  /**
   * The values of {@code request_attributes} (keyed by the CEL expression text, e.g. {@code
   * source.address}) sent on the first request message, as Envoy evaluates them; empty: none.
   */
  public Struct requestAttributes() {
    return requestAttributes;
  }

  /** The values of {@code response_attributes}, sent on the first response message. */
  public Struct responseAttributes() {
    return responseAttributes;
  }

  /** {@code observability_mode}. */
  public boolean observabilityMode() {
    return observabilityMode;
  }

  /** {@code deferred_close_timeout} (observability mode only, default 5 s). */
  public Duration deferredCloseTimeout() {
    return deferredCloseTimeout;
  }

  /** {@code send_body_without_waiting_for_header_response} (STREAMED only). */
  public boolean sendBodyWithoutWaitingForHeaderResponse() {
    return sendBodyWithoutWaitingForHeaderResponse;
  }

  /** {@code metadata_options.receiving_namespaces.untyped}. */
  public Set<String> receivingNamespaces() {
    return receivingNamespaces;
  }

  /** HCM {@code max_headers_count} (default 100). */
  public int maxHeadersCount() {
    return maxHeadersCount;
  }

  /** HCM {@code max_request_headers_kb} (default 60). */
  public int maxHeadersKb() {
    return maxHeadersKb;
  }

  /** {@code mutation_rules.disallow_is_error}. */
  public boolean disallowIsError() {
    return disallowIsError;
  }

  /**
   * Route timeout (default 15 s as Envoy's): bounds the whole exchange. A stuck exchange then ends
   * with 504 (or a reset once response headers went downstream), so the simulator never hangs.
   */
  public Duration routeTimeout() {
    return routeTimeout;
  }

  /**
   * Runtime flag {@code envoy.reloadable_features.ext_proc_graceful_grpc_close} (default off): at
   * the end of an exchange Envoy half-closes and waits up to 1000 ms for the server to finish the
   * call with OK before resetting it.
   */
  public boolean gracefulGrpcClose() {
    return gracefulGrpcClose;
  }

  /** Builder; {@link #build()} validates like Envoy does at config load. */
  public static final class Builder {
    private ProcessingMode processingMode = DEFAULT_MODE;
    private Duration messageTimeout = Duration.ofMillis(200);
    private Duration maxMessageTimeout = Duration.ZERO;
    private boolean failureModeAllow;
    private boolean allowModeOverride;
    private List<ProcessingMode> allowedOverrideModes = List.of();
    private long bufferLimitBytes = 1024 * 1024;
    private Map<String, String> grpcInitialMetadata = new LinkedHashMap<>();
    private Struct requestAttributes = Struct.getDefaultInstance();
    private Struct responseAttributes = Struct.getDefaultInstance();
    private boolean observabilityMode;
    private Duration deferredCloseTimeout = Duration.ofSeconds(5);
    private boolean sendBodyWithoutWaitingForHeaderResponse;
    private Set<String> receivingNamespaces = Set.of();
    private int maxHeadersCount = 100;
    private int maxHeadersKb = 60;
    private boolean disallowIsError;
    private Duration routeTimeout = Duration.ofSeconds(15);
    private boolean gracefulGrpcClose;

    private Builder() {}

    /** Sets the {@code ext_proc_graceful_grpc_close} runtime flag. */
    public Builder gracefulGrpcClose(boolean v) {
      this.gracefulGrpcClose = v;
      return this;
    }

    /** Sets {@code processing_mode}. */
    public Builder processingMode(ProcessingMode mode) {
      this.processingMode = Objects.requireNonNull(mode);
      return this;
    }

    /** Sets {@code message_timeout}. */
    public Builder messageTimeout(Duration d) {
      this.messageTimeout = Objects.requireNonNull(d);
      return this;
    }

    /** Sets {@code max_message_timeout}. */
    public Builder maxMessageTimeout(Duration d) {
      this.maxMessageTimeout = Objects.requireNonNull(d);
      return this;
    }

    /** Sets {@code failure_mode_allow}. */
    public Builder failureModeAllow(boolean v) {
      this.failureModeAllow = v;
      return this;
    }

    /** Sets {@code allow_mode_override}. */
    public Builder allowModeOverride(boolean v) {
      this.allowModeOverride = v;
      return this;
    }

    /** Sets {@code allowed_override_modes}. */
    public Builder allowedOverrideModes(List<ProcessingMode> modes) {
      this.allowedOverrideModes = List.copyOf(modes);
      return this;
    }

    /** Sets the connection buffer limit. */
    public Builder bufferLimitBytes(long v) {
      this.bufferLimitBytes = v;
      return this;
    }

    /** Sets {@code grpc_initial_metadata}. */
    public Builder requestAttributes(Struct v) {
      this.requestAttributes = v;
      return this;
    }

    public Builder responseAttributes(Struct v) {
      this.responseAttributes = v;
      return this;
    }

    public Builder grpcInitialMetadata(Map<String, String> md) {
      this.grpcInitialMetadata = new LinkedHashMap<>(md);
      return this;
    }

    /** Sets {@code observability_mode}. */
    public Builder observabilityMode(boolean v) {
      this.observabilityMode = v;
      return this;
    }

    /** Sets {@code deferred_close_timeout}. */
    public Builder deferredCloseTimeout(Duration d) {
      this.deferredCloseTimeout = Objects.requireNonNull(d);
      return this;
    }

    /** Sets {@code send_body_without_waiting_for_header_response}. */
    public Builder sendBodyWithoutWaitingForHeaderResponse(boolean v) {
      this.sendBodyWithoutWaitingForHeaderResponse = v;
      return this;
    }

    /** Sets the dynamic-metadata namespaces Envoy applies. */
    public Builder receivingNamespaces(Set<String> ns) {
      this.receivingNamespaces = Set.copyOf(ns);
      return this;
    }

    /** Sets the HCM {@code max_headers_count}. */
    public Builder maxHeadersCount(int v) {
      this.maxHeadersCount = v;
      return this;
    }

    /** Sets the HCM {@code max_request_headers_kb}. */
    public Builder maxHeadersKb(int v) {
      this.maxHeadersKb = v;
      return this;
    }

    /** Sets {@code mutation_rules.disallow_is_error}. */
    public Builder disallowIsError(boolean v) {
      this.disallowIsError = v;
      return this;
    }

    /** Sets the route timeout bounding the whole exchange. */
    public Builder routeTimeout(Duration d) {
      this.routeTimeout = Objects.requireNonNull(d);
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws IllegalArgumentException when Envoy would reject this configuration
     */
    public EnvoyFilterConfig build() {
      ProcessingMode m = processingMode;
      if (m.getRequestBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED
          && m.getRequestTrailerMode() != HeaderSendMode.SEND) {
        throw new IllegalArgumentException(
            "If the ext_proc filter has the request_body_mode set to FULL_DUPLEX_STREAMED, "
                + "then the request_trailer_mode has to be set to SEND");
      }
      if (m.getResponseBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED
          && m.getResponseTrailerMode() != HeaderSendMode.SEND) {
        throw new IllegalArgumentException(
            "If the ext_proc filter has the response_body_mode set to FULL_DUPLEX_STREAMED, "
                + "then the response_trailer_mode has to be set to SEND");
      }
      if (m.getRequestBodyModeValue() < 0
          || m.getResponseBodyModeValue() < 0
          || m.getRequestBodyMode() == BodySendMode.UNRECOGNIZED
          || m.getResponseBodyMode() == BodySendMode.UNRECOGNIZED) {
        throw new IllegalArgumentException("processing_mode has an unknown body mode");
      }
      if (messageTimeout.isNegative() || messageTimeout.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("message_timeout must be within [0s, 3600s]");
      }
      if (maxMessageTimeout.isNegative() || maxMessageTimeout.compareTo(Duration.ofHours(1)) > 0) {
        throw new IllegalArgumentException("max_message_timeout must be within [0s, 3600s]");
      }
      if (bufferLimitBytes <= 0) {
        throw new IllegalArgumentException("bufferLimitBytes must be positive");
      }
      if (maxHeadersCount <= 0 || maxHeadersKb <= 0) {
        throw new IllegalArgumentException("maxHeadersCount and maxHeadersKb must be positive");
      }
      if (routeTimeout.isNegative() || routeTimeout.isZero()) {
        throw new IllegalArgumentException("routeTimeout must be positive");
      }
      return new EnvoyFilterConfig(this);
    }
  }
}
