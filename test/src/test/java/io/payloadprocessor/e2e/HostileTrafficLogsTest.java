package io.payloadprocessor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import com.fasterxml.jackson.databind.JsonNode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.payloadprocessor.envoysim.EnvoyFilterConfig;
import io.payloadprocessor.envoysim.EnvoySim;
import io.payloadprocessor.envoysim.HttpOutcome;
import io.payloadprocessor.envoysim.HttpRequest;
import io.payloadprocessor.envoysim.Upstream;
import io.payloadprocessor.envoysim.UpstreamResponse;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.Logging;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * A hostile run: requests carry planted secrets in bodies (valid and invalid JSON, duplicate keys,
 * values CEL cannot convert), in credential headers, in the upstream's response, and request ids
 * with CR/LF that try to forge a log line. Every processor that can fail does, FailOpen and
 * FailClosed, and the guard rejects. Then the captured logs (text and JSON, at DEBUG) are searched
 * for every planted secret; the run also checks that the logs did record what happened (audit lines
 * of the rejections with processor, reason and rule), so a silent logger cannot pass.
 */
class HostileTrafficLogsTest {
  private static final String AWS_KEY = "AKIAIOSFODNN7EXAMPLE";
  private static final String GITHUB_TOKEN = "ghp_" + "R4nd0mPl4nt3dT0k3nF0rL0gSc4nn1ng0123";
  private static final String CARD = "4111111111111111";
  private static final String BEARER = "sk-live-" + "PlantedInAnAuthorizationHeader42";
  private static final String API_KEY_HEADER = "planted-x-api-key-" + "9f8e7d6c5b4a";
  private static final String CEL_VALUE = "sk-cel-" + "PlantedValueCelCannotConvert77";
  private static final String RESPONSE_SECRET = "xoxb-" + "PlantedInTheUpstreamResponse55";
  private static final String SSE_SECRET = "sk-ant-" + "PlantedInAnEventStreamChunk66";
  private static final String FORGED = "FORGED-LOG-LINE";
  private static final String REQUEST_ID_SECRET = "reqid-" + "PlantedAfterACarriageReturn";

  private static final List<String> SECRETS =
      List.of(
          AWS_KEY,
          GITHUB_TOKEN,
          CARD,
          BEARER,
          API_KEY_HEADER,
          CEL_VALUE,
          RESPONSE_SECRET,
          SSE_SECRET,
          "PlantedInAnEventStreamChunk",
          REQUEST_ID_SECRET,
          // Fragments a truncating logger might keep.
          AWS_KEY.substring(0, 12),
          GITHUB_TOKEN.substring(0, 14),
          "PlantedInAnAuthorizationHeader",
          "PlantedValueCelCannotConvert",
          "PlantedInTheUpstreamResponse");

  private static final String PIPELINE =
      """
      apiVersion: ainetworking.x-k8s.io/v0alpha0
      kind: PayloadProcessor
      metadata: {name: hostile}
      spec:
        targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: gw}
        phase: PreRouting
        processors:
          - name: model-header
            type: payload-processor.io/Module
            failureMode: FailOpen
            module: {id: body-field-to-header, config: {field: $.model, header: X-Model}}
          - name: cel-number
            type: InProcess
            failureMode: FailOpen
            inProcess:
              request:
                setHeaders:
                  - {name: X-N, value: 'string(int(json(request.body).n))'}
          - name: credentials
            type: payload-processor.io/Module
            failureMode: FailOpen
            module:
              id: credential-injector
              config:
                entries: [{name: openai, default: true, keyFile: /nonexistent/hostile/openai.key}]
          - name: meter
            type: payload-processor.io/Module
            failureMode: FailOpen
            module: {id: usage-metering, config: {}}
          - name: guard
            type: payload-processor.io/Module
            module:
              id: pii
              config:
                detectors:
                  - {type: payment_card, action: block}
                  - {type: secrets, action: block}
      """;

  @AfterEach
  void restoreLogging() throws Exception {
    LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
    lc.reset();
    new ContextInitializer(lc).autoConfig();
  }

  @ParameterizedTest
  @ValueSource(strings = {"text", "json"})
  void noPlantedSecretReachesTheLogs(String format) throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    // Every line is kept (no limit on repeats), so none escapes the search.
    Logging.configure(format.equals("json"), Level.DEBUG, captured, false);
    List<HttpOutcome> outcomes = new ArrayList<>();
    try (ServerFixture fixture = new ServerFixture(PIPELINE)) {
      EnvoySim envoy = fixture.envoy(buffered());
      for (int i = 0; i < 3; i++) {
        outcomes.add(envoy.exchange(chat("{\"model\": " + AWS_KEY + "}", "r" + i), okJson()));
        outcomes.add(
            envoy.exchange(
                chat("{\"" + GITHUB_TOKEN + "\":1,\"" + GITHUB_TOKEN + "\":2}", "d" + i),
                okJson()));
        outcomes.add(
            envoy.exchange(
                chat(
                    "{\"model\":\"m\",\"n\":\""
                        + CEL_VALUE
                        + "\",\"messages\":[{\"role\":\"user\",\"content\":\"pay with "
                        + CARD
                        + "\"}]}",
                    "c" + i),
                okJson()));
        outcomes.add(
            envoy.exchange(
                chat(
                    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"my key "
                        + GITHUB_TOKEN
                        + "\"}]}",
                    "g" + i),
                okJson()));
        outcomes.add(
            envoy.exchange(
                chat(
                    "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                    "ok\r\n" + FORGED + " " + REQUEST_ID_SECRET + "\r\n"),
                Upstream.fixed(
                    UpstreamResponse.builder()
                        .header(":status", "200")
                        .header("content-type", "application/json")
                        .body("{\"usage\": " + RESPONSE_SECRET + "}")
                        .build())));
        outcomes.add(
            envoy.exchange(
                chat(
                    "{\"model\":\"m\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"hi\"}]}",
                    "s" + i),
                Upstream.fixed(
                    UpstreamResponse.builder()
                        .header(":status", "200")
                        .header("content-type", "text/event-stream")
                        .body(
                            "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\n"
                                + "data: {\"usage\": "
                                + SSE_SECRET
                                + "}\n\ndata: [DONE]\n\n")
                        .build())));
      }
    }
    String logs = captured.toString(StandardCharsets.UTF_8);
    // Kept for a human look: target/hostile-run-text.log, target/hostile-run-json.log.
    java.nio.file.Files.writeString(
        java.nio.file.Path.of("target", "hostile-run-" + format + ".log"), logs);

    assertThat(outcomes)
        .as("the guard rejected the card and the token")
        .anySatisfy(o -> assertThat(o.status()).isEqualTo(403));
    for (String secret : SECRETS) {
      assertThat(logs)
          .as("planted secret %s in the %s logs", secret, format)
          .doesNotContain(secret);
    }
    List<String> lines = logs.lines().toList();
    assertThat(lines).noneMatch(l -> l.startsWith(FORGED));
    List<String> audit = new ArrayList<>();
    for (String line : lines) {
      if (format.equals("json")) {
        JsonNode n = HttpMessage.JSON.readTree(line);
        assertThat(n.path("@timestamp").asText()).matches("\\d{4}-\\d\\d-\\d\\dT.*");
        if (n.path("logger_name").asText().equals("io.payloadprocessor.audit")) {
          assertThat(n.path("processor").asText()).isEqualTo("guard");
          assertThat(n.path("reason").asText())
              .isIn("pii_detected", "invalid_json", "duplicate_json_key");
          if (n.path("reason").asText().equals("pii_detected")) {
            assertThat(n.path("rule").asText()).isIn("payment_card", "github_token", "api_key");
            assertThat(n.path("status").asInt()).isEqualTo(403);
          }
          audit.add(line);
        }
      } else if (line.contains("audit - rejected")) {
        assertThat(line).contains("processor=guard", "reason=");
        audit.add(line);
      }
    }
    long rejected = outcomes.stream().filter(o -> o.status() >= 400).count();
    assertThat(rejected).isGreaterThanOrEqualTo(6);
    assertThat(audit).as("one audit line per rejection").hasSize((int) rejected);
    assertThat(logs).as("the failing processors were logged").contains("credential key file");
  }

  private static EnvoyFilterConfig buffered() {
    return EnvoyFilterConfig.builder()
        .processingMode(
            ProcessingMode.newBuilder()
                .setRequestHeaderMode(HeaderSendMode.SEND)
                .setRequestBodyMode(BodySendMode.BUFFERED)
                .setResponseHeaderMode(HeaderSendMode.SEND)
                .setResponseBodyMode(BodySendMode.BUFFERED)
                .build())
        .messageTimeout(Duration.ofSeconds(5))
        .build();
  }

  private static HttpRequest chat(String body, String requestId) {
    return HttpRequest.builder()
        .header(":path", "/v1/chat/completions")
        .header("content-type", "application/json")
        .header("authorization", "Bearer " + BEARER)
        .header("x-api-key", API_KEY_HEADER)
        .header("x-request-id", requestId)
        .body(body)
        .build();
  }

  private static Upstream okJson() {
    return Upstream.fixed(
        UpstreamResponse.builder()
            .header(":status", "200")
            .header("content-type", "application/json")
            .body("{\"id\":\"x\",\"choices\":[]}")
            .build());
  }
}
