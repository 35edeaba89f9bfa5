package io.payloadprocessor.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.payloadprocessor.spi.BodyException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonErrorsTest {
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "{\"model\": AKIAIOSFODNN7EXAMPLE} | AKIAIOSFODNN7EXAMPLE | body is not valid JSON:"
            + " unrecognized token at line 1, column 11",
        "{\"ghp_secretkey\":1,\"ghp_secretkey\":2} | ghp_secretkey | body is not valid JSON:"
            + " duplicate field at line 1, column 35",
        "{\"a\": \"sk-unterminated | sk-unterminated | body is not valid JSON: unexpected"
            + " end-of-input in VALUE_STRING at line 1, column 23",
        "{\"a\": 1 sk-after} | sk-after | body is not valid JSON: unexpected character at line 1,"
            + " column 9",
        "'sk-single-quoted' | sk-single | body is not valid JSON: unexpected character at line"
            + " 1, column 1",
      })
  void messagesSayWhereButNotWhat(String body, String secret, String expected) {
    assertThatThrownBy(() -> HttpMessage.parseJson(body.getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(BodyException.class)
        .hasMessage(expected)
        .hasNoCause()
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "Unrecognized token 'x': was expecting | unrecognized token",
        "Unexpected character ('s' (code 115)) | unexpected character",
        "'quoted first | syntax error",
        "Duplicate field 'k' | duplicate field",
      })
  void kindKeepsJacksonsWordingBeforeAnyQuote(String message, String kind) {
    assertThat(JsonErrors.kind(message)).isEqualTo(kind);
  }
}
