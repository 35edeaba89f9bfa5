package io.payloadprocessor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.payloadprocessor.envoysim.EnvoyFilterConfig;
import io.payloadprocessor.envoysim.HttpOutcome;
import io.payloadprocessor.envoysim.HttpRequest;
import io.payloadprocessor.envoysim.Upstream;
import io.payloadprocessor.envoysim.UpstreamResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A response body usage-metering cannot read follows the step's failure mode, and is counted as
 * such, over real gRPC (the conformance cases state the HTTP side; this checks the counter).
 */
class UsageMeteringFailureModeTest {
  private static final String PIPELINE =
      """
      apiVersion: ainetworking.x-k8s.io/v0alpha0
      kind: PayloadProcessor
      metadata: {name: meter}
      spec:
        targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: gw}
        phase: PostRouting
        processors:
          - name: meter-tokens
            type: payload-processor.io/Module
            failureMode: %s
            module: {id: usage-metering, config: {}}
      """;

  @ParameterizedTest
  @ValueSource(strings = {"FailOpen", "FailClosed"})
  void unreadableSuccessfulJsonFollowsTheFailureModeAndIsCounted(String failureMode)
      throws Exception {
    try (ServerFixture server = new ServerFixture(PIPELINE.formatted(failureMode))) {
      ProcessingMode mode =
          ProcessingMode.newBuilder()
              .setRequestHeaderMode(HeaderSendMode.SEND)
              .setResponseHeaderMode(HeaderSendMode.SEND)
              .setRequestBodyMode(BodySendMode.BUFFERED)
              .setResponseBodyMode(BodySendMode.BUFFERED)
              .build();
      EnvoyFilterConfig config =
          EnvoyFilterConfig.builder()
              .processingMode(mode)
              .messageTimeout(Duration.ofSeconds(2))
              .build();
      HttpOutcome o =
          server
              .envoy(config)
              .exchange(
                  HttpRequest.builder()
                      .header(":method", "POST")
                      .header(":path", "/v1/chat/completions")
                      .header("content-type", "application/json")
                      .body("{\"model\":\"gpt-4o\",\"messages\":[]}")
                      .build(),
                  Upstream.fixed(UpstreamResponse.ok("application/json", "invalid")));
      String why = o + "\n" + o.trace();
      String outcome;
      if (failureMode.equals("FailOpen")) {
        assertThat(o.status()).as(why).isEqualTo(200);
        assertThat(o.clientBody()).as(why).isEqualTo("invalid");
        assertThat(o.emittedMetadata()).as(why).doesNotContainKey("io.payload_processor");
        outcome = "failed_open";
      } else {
        assertThat(o.status()).as(why).isEqualTo(502);
        assertThat(o.clientBody()).as(why).contains("invalid_response_body");
        outcome = "error";
      }
      assertThat(
              server.metric(
                  "payload_processor_processor_outcomes",
                  Map.of("processor", "meter-tokens", "direction", "response", "outcome", outcome)))
          .as(why)
          .isEqualTo(1.0);
    }
  }
}
