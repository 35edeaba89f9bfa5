package io.payloadprocessor.envoysim;

import com.google.protobuf.Struct;
import java.time.Duration;
import java.util.Map;

/**
 * The HTTP result of one simulated exchange through Envoy's ext_proc filter, plus what the filter
 * observed on the ext_proc stream. Immutable.
 */
public final class HttpOutcome {
  private final boolean upstreamReached;
  private final ForwardedMessage upstreamRequest;
  private final ForwardedMessage clientResponse;
  private final boolean resetAfterResponseHeaders;
  private final boolean clientDisconnected;
  private final boolean localReply;
  private final String details;
  private final Map<String, Struct> emittedMetadata;
  private final Map<String, Struct> appliedMetadata;
  private final long rejectedHeaderMutations;
  private final long spuriousMessages;
  private final long messageTimeouts;
  private final String processorCloseStatus;
  private final Duration elapsed;
  private final String trace;

  HttpOutcome(
      boolean upstreamReached,
      ForwardedMessage upstreamRequest,
      ForwardedMessage clientResponse,
      boolean resetAfterResponseHeaders,
      boolean clientDisconnected,
      boolean localReply,
      String details,
      Map<String, Struct> emittedMetadata,
      Map<String, Struct> appliedMetadata,
      long rejectedHeaderMutations,
      long spuriousMessages,
      long messageTimeouts,
      String processorCloseStatus,
      Duration elapsed,
      String trace) {
    this.upstreamReached = upstreamReached;
    this.upstreamRequest = upstreamRequest;
    this.clientResponse = clientResponse;
    this.resetAfterResponseHeaders = resetAfterResponseHeaders;
    this.clientDisconnected = clientDisconnected;
    this.localReply = localReply;
    this.details = details;
    this.emittedMetadata = Map.copyOf(emittedMetadata);
    this.appliedMetadata = Map.copyOf(appliedMetadata);
    this.rejectedHeaderMutations = rejectedHeaderMutations;
    this.spuriousMessages = spuriousMessages;
    this.messageTimeouts = messageTimeouts;
    this.processorCloseStatus = processorCloseStatus;
    this.elapsed = elapsed;
    this.trace = trace;
  }

  /** Whether the request reached the upstream. */
  public boolean upstreamReached() {
    return upstreamReached;
  }

  /** What the upstream received, or null when it was never reached. */
  public ForwardedMessage upstreamRequest() {
    return upstreamRequest;
  }

  /**
   * What the client received (headers, body, trailers); headers are empty when the client got
   * nothing (disconnect, or reset before any response headers).
   */
  public ForwardedMessage clientResponse() {
    return clientResponse;
  }

  /** The {@code :status} the client received, or -1 if it received no response headers. */
  public int status() {
    return clientResponse.status();
  }

  /** First value of a response header the client received, or null. */
  public String clientHeader(String name) {
    return clientResponse.header(name);
  }

  /** The response body the client received, as UTF-8. */
  public String clientBody() {
    return clientResponse.bodyString();
  }

  /** The stream was reset after response headers had already gone downstream. */
  public boolean resetAfterResponseHeaders() {
    return resetAfterResponseHeaders;
  }

  /** The downstream client disconnected (per {@link ClientBehaviour}). */
  public boolean clientDisconnected() {
    return clientDisconnected;
  }

  /** The client's response is an Envoy local reply (ImmediateResponse, 413, 500, 504, ...). */
  public boolean localReply() {
    return localReply;
  }

  /** {@code %RESPONSE_CODE_DETAILS%} of a local reply, or "via_upstream". */
  public String details() {
    return details;
  }

  /** Dynamic metadata the server emitted, all namespaces, merged in arrival order. */
  public Map<String, Struct> emittedMetadata() {
    return emittedMetadata;
  }

  /** The subset Envoy applied (receiving namespaces only). */
  public Map<String, Struct> appliedMetadata() {
    return appliedMetadata;
  }

  /** Counter {@code rejected_header_mutations}. */
  public long rejectedHeaderMutations() {
    return rejectedHeaderMutations;
  }

  /** Counter {@code spurious_msgs_received}. */
  public long spuriousMessages() {
    return spuriousMessages;
  }

  /** Counter {@code message_timeouts}. */
  public long messageTimeouts() {
    return messageTimeouts;
  }

  /**
   * How the server ended the ext_proc call before Envoy closed it: "OK", a gRPC status code name,
   * or null when the server never finished it (the normal case: Envoy resets it).
   */
  public String processorCloseStatus() {
    return processorCloseStatus;
  }

  /** Wall time of the exchange. */
  public Duration elapsed() {
    return elapsed;
  }

  /** A readable trace of every ext_proc message sent and received (long bodies elided). */
  public String trace() {
    return trace;
  }

  @Override
  public String toString() {
    return "HttpOutcome{status="
        + status()
        + ", upstreamReached="
        + upstreamReached
        + ", localReply="
        + localReply
        + ", details="
        + details
        + ", reset="
        + resetAfterResponseHeaders
        + ", elapsed="
        + elapsed.toMillis()
        + "ms}\n"
        + trace;
  }
}
