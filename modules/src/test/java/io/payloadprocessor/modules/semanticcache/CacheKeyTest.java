package io.payloadprocessor.modules.semanticcache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.runtime.HttpMessage;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CacheKeyTest {
  private static final String PATH = "/v1/chat/completions";

  private static JsonNode json(String s) throws Exception {
    return HttpMessage.parseJson(s.getBytes(StandardCharsets.UTF_8));
  }

  private static CacheKey key(String body) throws Exception {
    return CacheKey.of(PATH, "t1", json(body));
  }

  private static final String BASE =
      "{\"model\":\"gpt-4o\",\"temperature\":0.7,\"messages\":["
          + "{\"role\":\"system\",\"content\":\"Be brief.\"},"
          + "{\"role\":\"user\",\"content\":\"What is the capital of France?\"}]}";

  @Test
  void lastUserMessageIsTheQueryAndNotPartOfThePartition() throws Exception {
    CacheKey a = key(BASE);
    CacheKey b = key(BASE.replace("What is the capital of France?", "Capital of France?"));
    assertThat(a.query()).isEqualTo("What is the capital of France?");
    assertThat(a.partition()).isEqualTo(b.partition());
    assertThat(a.exact()).isNotEqualTo(b.exact());
  }

  @Test
  void everythingThatChangesTheAnswerChangesThePartition() throws Exception {
    String p = key(BASE).partition();
    assertThat(key(BASE.replace("gpt-4o", "gpt-4o-mini")).partition()).isNotEqualTo(p);
    assertThat(key(BASE.replace("Be brief.", "Be verbose.")).partition()).isNotEqualTo(p);
    assertThat(key(BASE.replace("0.7", "0.2")).partition()).isNotEqualTo(p);
    assertThat(
            key(BASE.replace("{\"model\"", "{\"tools\":[{\"type\":\"function\"}],\"model\""))
                .partition())
        .isNotEqualTo(p);
    assertThat(
            key(BASE.replace(
                    "{\"model\"", "{\"response_format\":{\"type\":\"json_object\"},\"model\""))
                .partition())
        .isNotEqualTo(p);
    assertThat(CacheKey.of(PATH, "t2", json(BASE)).partition()).isNotEqualTo(p);
    assertThat(CacheKey.of("/v1/other", "t1", json(BASE)).partition()).isNotEqualTo(p);
    String earlierTurn =
        BASE.replace(
            "{\"role\":\"user\",\"content\":\"What",
            "{\"role\":\"user\",\"content\":\"hi\"},{\"role\":\"assistant\",\"content\":\"hello\"},"
                + "{\"role\":\"user\",\"content\":\"What");
    assertThat(key(earlierTurn).partition()).isNotEqualTo(p);
  }

  @Test
  void streamingKeyOrderAndNumberSpellingDoNotChangeTheKey() throws Exception {
    CacheKey a = key(BASE);
    assertThat(key(BASE.replace("{\"model\"", "{\"stream\":true,\"user\":\"u1\",\"model\"")))
        .isEqualTo(a);
    assertThat(key(BASE.replace("0.7", "0.70"))).isEqualTo(a);
    String reordered =
        "{\"messages\":[{\"content\":\"Be brief.\",\"role\":\"system\"},"
            + "{\"role\":\"user\",\"content\":\"What is the capital of France?\"}],"
            + "\"temperature\":0.7,\"model\":\"gpt-4o\"}";
    assertThat(key(reordered)).isEqualTo(a);
  }

  @Test
  void textPartsAreTheQueryAndOtherPartsArePartitioned() throws Exception {
    String parts =
        "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":["
            + "{\"type\":\"text\",\"text\":\"Describe\"},"
            + "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://x/IMG\"}}]}]}";
    CacheKey a = key(parts);
    assertThat(a.query()).isEqualTo("Describe");
    assertThat(key(parts.replace("IMG", "OTHER")).partition()).isNotEqualTo(a.partition());
  }

  @Test
  void notCacheable() throws Exception {
    assertThat(key("{\"model\":\"m\"}")).isNull();
    assertThat(key("{\"model\":\"m\",\"messages\":[]}")).isNull();
    assertThat(key("[1]")).isNull();
    assertThat(key("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"  \"}]}"))
        .isNull();
    assertThat(
            key(
                "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"q\"},"
                    + "{\"role\":\"assistant\",\"content\":\"a\"}]}"))
        .isNull();
    assertThat(
            key("{\"model\":\"m\",\"n\":2,\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]}"))
        .isNull();
  }

  @Test
  void hostileNumbersAreKeyedAsWrittenScaleNotExpanded() throws Exception {
    // A 21-byte body must not become a billion-character key (nor fail on a double's Infinity).
    for (String n :
        new String[] {"1e999999999", "-1e-999999999", "1e308", "1e309", "123456789e-5"}) {
      CacheKey k = key(BASE.replace("0.7", n));
      assertThat(CacheKey.canonical(json("{\"t\":" + n + "}")).length()).isLessThan(64);
      assertThat(k.partition()).isNotEqualTo(key(BASE).partition());
    }
    // Equal numbers written differently still share a key.
    assertThat(key(BASE.replace("0.7", "0.70")).partition()).isEqualTo(key(BASE).partition());
    assertThat(key(BASE.replace("0.7", "7e-1")).partition()).isEqualTo(key(BASE).partition());
  }
}
