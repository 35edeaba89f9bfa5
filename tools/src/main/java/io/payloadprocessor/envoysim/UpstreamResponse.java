package io.payloadprocessor.envoysim;

import java.util.Map;

/** The response the upstream returns; {@code :status} defaults to 200. */
public final class UpstreamResponse extends HttpMessageParts {
  private static final Map<String, String> DEFAULTS = Map.of(":status", "200");

  private UpstreamResponse(Builder b) {
    super(b, DEFAULTS);
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** A 200 response with the given body and content-type. */
  public static UpstreamResponse ok(String contentType, String body) {
    return builder().header("content-type", contentType).body(body).build();
  }

  /** Builder for {@link UpstreamResponse}. */
  public static final class Builder extends HttpMessageParts.Builder<UpstreamResponse, Builder> {
    private Builder() {}

    @Override
    Builder self() {
      return this;
    }

    /** Sets {@code :status}. */
    public Builder status(int status) {
      return header(":status", Integer.toString(status));
    }

    @Override
    public UpstreamResponse build() {
      return new UpstreamResponse(this);
    }
  }
}
