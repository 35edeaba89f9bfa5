package io.payloadprocessor.envoysim;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The request a downstream client sends through the simulated Envoy. Pseudo-headers {@code :method
 * :path :authority :scheme} default to POST, /, localhost, http when absent.
 */
public final class HttpRequest extends HttpMessageParts {
  private static final Map<String, String> DEFAULTS = new LinkedHashMap<>();

  static {
    DEFAULTS.put(":method", "POST");
    DEFAULTS.put(":path", "/");
    DEFAULTS.put(":authority", "localhost");
    DEFAULTS.put(":scheme", "http");
  }

  private HttpRequest(Builder b) {
    super(b, DEFAULTS);
  }

  /** A new builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builder for {@link HttpRequest}. */
  public static final class Builder extends HttpMessageParts.Builder<HttpRequest, Builder> {
    private Builder() {}

    @Override
    Builder self() {
      return this;
    }

    @Override
    public HttpRequest build() {
      return new HttpRequest(this);
    }
  }
}
