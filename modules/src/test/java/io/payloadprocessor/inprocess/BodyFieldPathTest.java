package io.payloadprocessor.inprocess;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.IntNode;
import io.payloadprocessor.runtime.HttpMessage;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class BodyFieldPathTest {
  private static JsonNode json(String s) throws Exception {
    return HttpMessage.parseJson(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String set(String path, String body) throws Exception {
    return BodyFieldPath.parse(path).set(json(body), IntNode.valueOf(9)).toString();
  }

  private static String remove(String path, String body) throws Exception {
    JsonNode root = json(body);
    BodyFieldPath.parse(path).remove(root);
    return root.toString();
  }

  @Test
  void setDefinitePaths() throws Exception {
    assertThat(set("$.a", "{}")).isEqualTo("{\"a\":9}");
    assertThat(set("$.a.b.c", "{\"a\":null}")).isEqualTo("{\"a\":{\"b\":{\"c\":9}}}");
    assertThat(set("$['odd key']", "{}")).isEqualTo("{\"odd key\":9}");
    assertThat(set("$.l[-1]", "{\"l\":[1,2]}")).isEqualTo("{\"l\":[1,9]}");
    assertThat(set("$", "{\"x\":1}")).isEqualTo("9");
  }

  @Test
  void setErrors() {
    assertThatThrownBy(() -> set("$.l[5]", "{\"l\":[1]}"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("outside");
    assertThatThrownBy(() -> set("$.l[0]", "{\"l\":{}}"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("not a list");
  }

  @Test
  void removeIsANoOpWhenMissing() throws Exception {
    assertThat(remove("$.a.b", "{\"a\":1}")).isEqualTo("{\"a\":1}");
    assertThat(remove("$.l[3]", "{\"l\":[1]}")).isEqualTo("{\"l\":[1]}");
    assertThat(remove("$.l[0]", "{\"l\":[1,2]}")).isEqualTo("{\"l\":[2]}");
    assertThat(remove("$..secret", "{\"a\":{\"secret\":1},\"secret\":2}")).isEqualTo("{\"a\":{}}");
    assertThat(remove("$.nothing[*].x", "{}")).isEqualTo("{}");
  }

  @Test
  void invalidPaths() {
    for (String bad : new String[] {"a.b", "$.a[", "$.a]", "$[", "$.a b", ""}) {
      assertThatThrownBy(() -> BodyFieldPath.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
