package io.payloadprocessor.modules.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UserRegexTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "ignore(?= previous)|lookahead",
        "(?!x)a|lookahead",
        "(?<=ID)[0-9]+|lookbehind",
        "(?<!x)a|lookbehind",
        "(\\d)\\1|backreference",
        "(?<n>a)\\k<n>|backreference",
        "a*+|possessive quantifier",
        "billing\\w++|possessive quantifier",
        "a{2}+|possessive quantifier",
        "(?>ab)c|atomic group",
        "\\Gfoo|\\G",
        "foo\\Z|\\Z",
        "\\h+|Java-only escape",
        "\\R|Java-only escape",
        "\\p{javaLowerCase}|Java-only character class",
        "\\p{IsLatin}|Java-only character class",
        "[a-z&&[^b]]|intersection",
        "(?x) a b|flag group",
        "a{1001}|above 1000"
      })
  void javaOnlyFeaturesAreRefusedByName(String pattern, String feature) {
    assertThatThrownBy(() -> UserRegex.compile(pattern, false))
        .isInstanceOf(UserRegex.InvalidRegexException.class)
        .hasMessageContaining(feature)
        .hasMessageContaining("RE2/J")
        .hasMessageContaining("docs/modules.md");
  }

  @ParameterizedTest
  @ValueSource(strings = {"TICKET-([0-9", "a)", "*a", "[z-a]"})
  void invalidPatternsSayWhy(String pattern) {
    assertThatThrownBy(() -> UserRegex.compile(pattern, false))
        .isInstanceOf(UserRegex.InvalidRegexException.class)
        .hasMessageStartingWith("invalid regular expression: ");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "ignore (all )?previous instructions",
        "\\b(invoice|billing)\\b",
        "\\p{L}+\\d{2,4}",
        "(?<name>EMP)-[0-9]{6}",
        "a.*?b",
        "(?i)x(?s).y",
        "\\Qa.b\\E"
      })
  void theRestCompiles(String pattern) throws Exception {
    assertThat(UserRegex.compile(pattern, true)).isNotNull();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "caf\\u00e9|café|true",
        "\\ud83d\\ude00|x😀y|true",
        "\\\\u0041|\\u0041|true",
        "\\\\u0041|A|false"
      })
  void unicodeEscapesAreAccepted(String pattern, String text, boolean matches) throws Exception {
    assertThat(UserRegex.compile(pattern, false).find(text)).isEqualTo(matches);
  }

  @ParameterizedTest
  @ValueSource(strings = {"ÉTÉ", "été", "Été"})
  void caseInsensitiveFoldsUnicode(String text) throws Exception {
    assertThat(UserRegex.compile("été", true).find(text)).isTrue();
    assertThat(UserRegex.literal("été", true).find(text)).isTrue();
  }
}
