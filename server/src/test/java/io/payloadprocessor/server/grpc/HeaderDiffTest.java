package io.payloadprocessor.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.payloadprocessor.spi.Headers;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The diff Envoy gets, over the copy-on-write snapshots the stream takes of each message. */
class HeaderDiffTest {
  private static Headers wire() {
    return new Headers()
        .add(":path", "/v1/chat/completions")
        .add("x-tag", "a")
        .add("X-Tag", "b")
        .add("content-type", "application/json");
  }

  @SuppressWarnings("deprecation") // append: the field Envoy 1.34 reads
  private static List<String> sets(HeaderMutation m) {
    return m.getSetHeadersList().stream()
        .map(
            (HeaderValueOption o) ->
                o.getHeader().getKey()
                    + "="
                    + o.getHeader().getRawValue().toStringUtf8()
                    + (o.getAppend().getValue() ? "+" : ""))
        .toList();
  }

  @Test
  void unchangedHeadersGiveAnEmptyMutation() {
    Headers h = wire();
    Headers before = h.snapshot();
    assertThat(h.unchangedSince(before)).isTrue();
    assertThat(EnvoyMessages.isEmpty(EnvoyMessages.diff(before, h))).isTrue();
  }

  @Test
  void changesAfterTheSnapshotAreTheDiffAndTheSnapshotKeepsItsValues() {
    Headers h = wire();
    Headers before = h.snapshot();
    h.set("x-gateway-model-name", "m").add("x-tag", "c").remove("content-type");
    HeaderMutation m = EnvoyMessages.diff(before, h);
    assertThat(m.getRemoveHeadersList()).containsExactly("content-type");
    assertThat(sets(m))
        .containsExactly("x-tag=a", "x-tag=b+", "x-tag=c+", "x-gateway-model-name=m");
    assertThat(before.getAll("x-tag")).containsExactly("a", "b");
    assertThat(before.get("content-type")).isEqualTo("application/json");
    assertThat(before.contains("x-gateway-model-name")).isFalse();
  }

  @Test
  void settingTheSameValueAgainIsNoChange() {
    Headers h = wire();
    Headers before = h.snapshot();
    h.set("content-type", "application/json");
    assertThat(h.unchangedSince(before)).isFalse();
    assertThat(EnvoyMessages.isEmpty(EnvoyMessages.diff(before, h))).isTrue();
  }

  @Test
  void aCopyAndItsOriginalDoNotShareChanges() {
    Headers h = wire();
    Headers c = h.copy();
    c.add("x-tag", "c");
    h.add("x-tag", "d");
    assertThat(h.getAll("x-tag")).containsExactly("a", "b", "d");
    assertThat(c.getAll("x-tag")).containsExactly("a", "b", "c");
  }

  @Test
  void writingTheSnapshotLeavesTheMessageAlone() {
    Headers h = wire();
    Headers before = h.snapshot();
    before.add("x-tag", "z");
    assertThat(h.getAll("x-tag")).containsExactly("a", "b");
  }
}
