package io.payloadprocessor.bench;

import java.time.Duration;

/**
 * What one load run does.
 *
 * @param host server host
 * @param port server port
 * @param channels gRPC channels (HTTP/2 connections) used round-robin
 * @param rate exchanges per second for the open model; {@code <= 0} selects the closed model
 * @param concurrency exchanges kept in flight by the closed model
 * @param duration measured time
 * @param warmup time before the measured window whose results are discarded
 * @param bodyBytes size of the request body (an OpenAI chat request)
 * @param headersOnly send only request_headers with end_of_stream=true, as Envoy does for a GET
 *     through a filter that sends request headers only (protocol_config body modes NONE)
 * @param responseBodyBytes size of the response body; 0 sends response headers with
 *     end_of_stream=true
 * @param skipResponse send nothing of the response direction
 * @param exchangeTimeout deadline of one exchange (its gRPC call)
 * @param maxInFlight open model only: exchanges due while this many are in flight are counted as
 *     errors ({@code overload}) instead of started, so a stalled server cannot exhaust memory
 * @param model the {@code model} field of generated bodies
 * @param path the {@code :path} of the simulated request
 */
public record LoadSettings(
    String host,
    int port,
    int channels,
    double rate,
    int concurrency,
    Duration duration,
    Duration warmup,
    int bodyBytes,
    boolean headersOnly,
    int responseBodyBytes,
    boolean skipResponse,
    Duration exchangeTimeout,
    int maxInFlight,
    String model,
    String path) {

  /** Whether exchanges are scheduled at a fixed rate (open model). */
  public boolean fixedRate() {
    return rate > 0;
  }
}
