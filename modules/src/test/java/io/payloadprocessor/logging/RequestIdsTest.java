package io.payloadprocessor.logging;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestIdsTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "0b9f5d2e-3c1a-4f6e-9a7b-2d8c4e6f1a3b",
        "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "req_42"
      })
  void commonIdFormatsAreKept(String id) {
    assertThat(RequestIds.validOrNull(id)).isEqualTo(id);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ok\r\nFORGED line",
        "ok\nFORGED",
        "with space",
        "quote\"break",
        "back\\slash",
        "<script>",
        "",
        "unicode-\u00e9",
        "nul\u0000"
      })
  void unsafeIdsAreRefused(String id) {
    assertThat(RequestIds.validOrNull(id)).isNull();
  }

  @Test
  void lengthIsBounded() {
    assertThat(RequestIds.isValid("a".repeat(RequestIds.MAX_LENGTH))).isTrue();
    assertThat(RequestIds.isValid("a".repeat(RequestIds.MAX_LENGTH + 1))).isFalse();
    assertThat(RequestIds.validOrNull(null)).isNull();
  }
}
