package io.payloadprocessor.modules.common;

import static io.payloadprocessor.modules.common.GuardFixtures.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

class AiBodiesTest {
  static List<String> describe(List<TextSlot> slots) {
    return slots.stream()
        .map(s -> s.role() + "/" + s.kind() + "/" + s.messageIndex() + ":" + s.text())
        .toList();
  }

  @Test
  void openAiChatRolesAndToolCalls() {
    JsonNode j =
        yaml(
            "{\"messages\":[{\"role\":\"developer\",\"content\":\"d\"},"
                + "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"u\"}]},"
                + "{\"role\":\"assistant\",\"tool_calls\":[{\"function\":{\"name\":\"f\",\"arguments\":\"{}\"}}]},"
                + "{\"role\":\"tool\",\"content\":\"t\"}]}");
    assertThat(describe(AiBodies.requestSlots(j)))
        .containsExactly(
            "system/CONTENT/0:d",
            "user/CONTENT/1:u",
            "assistant/TOOL_ARGUMENTS/2:{}",
            "tool/CONTENT/3:t");
  }

  @Test
  void anthropicToolResultIsToolRole() {
    JsonNode j =
        yaml(
            "{\"system\":\"s\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\","
                + "\"content\":\"r\"},{\"type\":\"text\",\"text\":\"q\"}]}]}");
    assertThat(describe(AiBodies.requestSlots(j)))
        .containsExactly("system/CONTENT/-1:s", "tool/CONTENT/0:r", "user/CONTENT/0:q");
  }

  @Test
  void responseShapes() {
    assertThat(
            describe(
                AiBodies.responseSlots(
                    yaml("{\"choices\":[{\"text\":\"c\"},{\"message\":{\"content\":\"m\"}}]}"))))
        .containsExactly("assistant/CONTENT/0:c", "assistant/CONTENT/1:m");
    assertThat(
            describe(
                AiBodies.responseSlots(
                    yaml(
                        "{\"output\":[{\"type\":\"message\",\"role\":\"assistant\",\"content\":"
                            + "[{\"type\":\"output_text\",\"text\":\"o\"}]},"
                            + "{\"type\":\"function_call\",\"arguments\":\"{}\"}]}"))))
        .containsExactly("assistant/CONTENT/0:o", "assistant/TOOL_ARGUMENTS/1:{}");
  }

  @Test
  void splicerWritesIntoTheBodyAsWritten() {
    String body =
        "{\"messages\":[{\"role\":\"user\",\"content\":[\"a\", {\"type\":\"text\",\"text\":\"b\"}]}]}";
    JsonSplicer splicer = new JsonSplicer();
    for (TextSlot s : AiBodies.requestSlots(yaml(body))) {
      splicer.replaceAll(s, s.text().toUpperCase(java.util.Locale.ROOT));
    }
    assertThat(splicer.apply(body))
        .isEqualTo(
            "{\"messages\":[{\"role\":\"user\",\"content\":[\"A\", {\"type\":\"text\",\"text\":\"B\"}]}]}");
  }

  @Test
  void streamDeltas() {
    List<StreamDelta> d =
        StreamDelta.of(
            yaml(
                "{\"choices\":[{\"index\":1,\"delta\":{\"content\":\"x\",\"tool_calls\":[{\"index\":0,"
                    + "\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]},\"finish_reason\":\"stop\"}]}"));
    assertThat(d).extracting(x -> x.slot().channel()).containsExactly("c1", "c1t0");
    assertThat(d).allMatch(StreamDelta::last);
    assertThat(StreamDelta.of(yaml("{\"type\":\"message_stop\"}"))).isEmpty();
  }
}
