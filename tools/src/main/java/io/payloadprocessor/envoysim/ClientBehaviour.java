package io.payloadprocessor.envoysim;

/**
 * How the downstream client (and the upstream) pace their bytes, and whether the client gives up.
 * Immutable; build with {@link #builder()}.
 */
public final class ClientBehaviour {
  /** When body pieces reach Envoy relative to the ext_proc headers response of that direction. */
  public enum BodyArrival {
    /**
     * Default: pieces arrive one by one after the headers response was handled (or right away in
     * modes where Envoy does not wait for it: FULL_DUPLEX_STREAMED, STREAMED with
     * send_body_without_waiting_for_header_response). STREAMED then sends one message per piece.
     */
    AFTER_HEADERS_RESPONSE,
    /**
     * The whole body (and trailers) already arrived before the headers response: exercises Envoy's
     * rule that a complete body is then sent as one message after the headers response.
     */
    BEFORE_HEADERS_RESPONSE
  }

  private static final ClientBehaviour DEFAULT = builder().build();

  private final BodyArrival requestBodyArrival;
  private final BodyArrival responseBodyArrival;
  private final int disconnectAfterRequestChunks;

  private ClientBehaviour(Builder b) {
    this.requestBodyArrival = b.requestBodyArrival;
    this.responseBodyArrival = b.responseBodyArrival;
    this.disconnectAfterRequestChunks = b.disconnectAfterRequestChunks;
  }

  /** The default behaviour: paced bodies, no disconnect. */
  public static ClientBehaviour defaults() {
    return DEFAULT;
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Request body pacing. */
  public BodyArrival requestBodyArrival() {
    return requestBodyArrival;
  }

  /** Upstream response body pacing. */
  public BodyArrival responseBodyArrival() {
    return responseBodyArrival;
  }

  /** The client resets the HTTP stream after sending this many body pieces; -1 never. */
  public int disconnectAfterRequestChunks() {
    return disconnectAfterRequestChunks;
  }

  /** Builder. */
  public static final class Builder {
    private BodyArrival requestBodyArrival = BodyArrival.AFTER_HEADERS_RESPONSE;
    private BodyArrival responseBodyArrival = BodyArrival.AFTER_HEADERS_RESPONSE;
    private int disconnectAfterRequestChunks = -1;

    private Builder() {}

    /** Sets request body pacing. */
    public Builder requestBodyArrival(BodyArrival a) {
      this.requestBodyArrival = a;
      return this;
    }

    /** Sets upstream response body pacing. */
    public Builder responseBodyArrival(BodyArrival a) {
      this.responseBodyArrival = a;
      return this;
    }

    /**
     * The downstream client disconnects (resets its stream) after sending {@code n} request body
     * pieces (0: right after the headers). Envoy then resets the ext_proc stream.
     */
    public Builder disconnectAfterRequestChunks(int n) {
      this.disconnectAfterRequestChunks = n;
      return this;
    }

    /** Builds. */
    public ClientBehaviour build() {
      return new ClientBehaviour(this);
    }
  }
}
