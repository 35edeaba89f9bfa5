package io.payloadprocessor.envoysim;

/** The upstream service: given the request as it reached the upstream, returns its response. */
@FunctionalInterface
public interface Upstream {
  /**
   * Answers a request.
   *
   * @param request what the upstream received (after every request-path mutation)
   * @return the upstream's response
   */
  UpstreamResponse respond(ForwardedMessage request);

  /** An upstream that always returns the same response. */
  static Upstream fixed(UpstreamResponse response) {
    return request -> response;
  }

  /** An upstream that answers 200 with an empty body. */
  static Upstream ok() {
    return fixed(UpstreamResponse.builder().build());
  }
}
