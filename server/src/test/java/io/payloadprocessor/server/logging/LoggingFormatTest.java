package io.payloadprocessor.server.logging;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.payloadprocessor.logging.LogFields;
import io.payloadprocessor.proto.v1.Rejection;
import io.payloadprocessor.server.Logging;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

class LoggingFormatTest {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final Logger log = LoggerFactory.getLogger("io.payloadprocessor.test");

  @AfterEach
  void restore() throws Exception {
    LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
    lc.reset();
    new ContextInitializer(lc).autoConfig();
  }

  private List<String> lines() {
    return out.toString(StandardCharsets.UTF_8).lines().toList();
  }

  @Test
  @SuppressWarnings("try") // the scope is only held open while logging
  void jsonLinesHaveTheFormattedMessageFieldsAndIsoTimestamps() throws Exception {
    Logging.configure(true, Level.INFO, out, true);
    try (LogFields.Scope s = LogFields.exchange("req-42")) {
      log.atWarn()
          .addKeyValue(LogFields.PROCESSOR, "guard")
          .addKeyValue(LogFields.DURATION_MS, 12)
          .log("processor '{}' failed open on {}", "guard", "request");
    }
    log.info("after the scope");

    List<String> lines = lines();
    assertThat(lines).hasSize(2);
    JsonNode first = new ObjectMapper().readTree(lines.get(0));
    assertThat(first.path("message").asText())
        .isEqualTo("processor 'guard' failed open on request");
    assertThat(first.path("@timestamp").asText())
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?(Z|[+-]\\d\\d:\\d\\d)");
    assertThat(first.path("level").asText()).isEqualTo("WARN");
    assertThat(first.path("request_id").asText()).isEqualTo("req-42");
    assertThat(first.path("processor").asText()).isEqualTo("guard");
    assertThat(first.path("duration_ms").asInt()).isEqualTo(12);
    assertThat(first.has("@version")).isFalse();
    JsonNode second = new ObjectMapper().readTree(lines.get(1));
    assertThat(second.has("request_id")).as("the scope was closed").isFalse();
  }

  @Test
  void textLinesEscapeLineBreaksInMessagesAndFields() {
    Logging.configure(false, Level.INFO, out, true);
    log.atWarn()
        .addKeyValue("entry", "a\r\nFORGED two")
        .log("value {} ends", "x\nFORGED line\u001b[31m");

    List<String> lines = lines();
    assertThat(lines).hasSize(1);
    assertThat(lines.get(0))
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) WARN .*")
        .endsWith("- value x\\nFORGED line\\u001b[31m ends entry=\"a\\r\\nFORGED two\"");
  }

  @Test
  void auditLineNamesTheRuleButNotTheMessage() throws Exception {
    Logging.configure(true, Level.INFO, out, true);
    RejectionLog.audit(
        Rejection.newBuilder()
            .setProcessor("pii")
            .setPhase("request")
            .setReason("pii_detected")
            .setRule("payment_card")
            .setMessage("the request contains a value detected as payment_card")
            .setHttpStatus(403)
            .setRequestId("r-1")
            .build());

    JsonNode line = new ObjectMapper().readTree(lines().get(0));
    assertThat(line.path("logger_name").asText()).isEqualTo(RejectionLog.LOGGER);
    assertThat(line.path("message").asText()).isEqualTo("rejected");
    assertThat(line.path("processor").asText()).isEqualTo("pii");
    assertThat(line.path("rule").asText()).isEqualTo("payment_card");
    assertThat(line.path("status").asInt()).isEqualTo(403);
    assertThat(line.path("request_id").asText()).isEqualTo("r-1");
    assertThat(lines().get(0)).doesNotContain("detected as");
  }

  @Test
  void unknownLevelsAreRefused() {
    assertThat(Logging.parseLevel("debug")).isEqualTo(Level.DEBUG);
    assertThat(Logging.parseLevel("warning")).isEqualTo(Level.WARN);
    assertThatThrownBy(() -> Logging.parseLevel("LOUD"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("log level must be one of TRACE, DEBUG, INFO, WARN, ERROR, OFF, got 'LOUD'");
  }
}
