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

  @ParameterizedTest
  @CsvSource(
      delimiter = ';',
      nullValues = "NONE",
      value = {
        "ignore (all )?previous instructions; previous instructions",
        "\\b(invoice|billing)\\b;NONE",
        "a|b;NONE",
        "(?i)secret code;NONE",
        "\\Qa.b\\E;NONE",
        "abc+def;abc",
        "abcd+ef;abcd",
        "ab*cdef;cdef",
        "x\\.y\\.z;x.y.z",
        "\\x41bcd;bcd",
        "\\x{263a}bcd;bcd",
        "\\pLbcd;bcd",
        "\\123bcd;bcd",
        "token-[0-9]{6}-key;token-",
        "[]abc]xyzw;xyzw",
        "abc{2}def;def",
        "ab(?:cd)?efg;efg",
        "abc\\d+wxyz;wxyz"
      })
  void theRequiredLiteralIsOnlyWhatEveryMatchContains(String pattern, String literal) {
    assertThat(UserRegex.requiredLiteral(pattern)).isEqualTo(literal == null ? null : literal);
  }

  @ParameterizedTest
  @CsvSource({
    "A,a",
    "z,z",
    "\u017F,s",
    "\u212A,k",
    "\u00C9,\u00C9",
    "\u0130,\u0130",
    "\u0131,\u0131"
  })
  void foldingLowersAsciiAndTheTwoCharactersThatFoldOntoIt(char c, char folded) {
    assertThat(UserRegex.fold(c)).isEqualTo(folded);
  }

  @org.junit.jupiter.api.Test
  void aNonAsciiTextIsStillPreFiltered() throws Exception {
    UserRegex r = UserRegex.compile("ignore (all )?previous instructions", true);
    assertThat(r.mayMatch("caf\u00e9 au lait, no instructions here")).isFalse();
    assertThat(r.find("caf\u00e9: IGNORE previous INSTRUCTIONS")).isTrue();
    assertThat(r.find("caf\u00e9: ignore previou\u017F in\u017Ftructions")).isTrue();
  }

  /** The candidate search starts from the literal's rarest letter, in every form RE2/J folds. */
  @ParameterizedTest
  @CsvSource({
    "sas,\u017Fa\u017F", // anchored on s: found through the long s
    "kit,\u212Ait", // anchored on k: found through the Kelvin sign
    "ask,A\u017F\u212A",
    "xyz,XYZ",
    "a-b-c,A-B-C"
  })
  void everyFoldedFormOfTheAnchorIsACandidate(String pattern, String text) throws Exception {
    UserRegex r = UserRegex.compile(pattern, true);
    assertThat(
            com.google.re2j.Pattern.compile(pattern, com.google.re2j.Pattern.CASE_INSENSITIVE)
                .matcher(text)
                .find())
        .isTrue();
    assertThat(r.mayMatch(text)).isTrue();
    assertThat(r.find(text)).isTrue();
  }

  /**
   * The pre-filter never changes an answer: random patterns from a small grammar (literals, groups,
   * alternations, classes, quantifiers, escapes) against random texts over the same alphabet
   * (ASCII, the two characters with non-ASCII case folds, and non-ASCII look-alikes that fold to
   * nothing ASCII: é, dotted İ, dotless ı), with and without case folding, agree with RE2/J alone.
   */
  @org.junit.jupiter.api.Test
  void thePreFilterAgreesWithTheEngine() throws Exception {
    java.util.Random rnd = new java.util.Random(20261202);
    String[] atoms = {
      "a", "b", "k", "s", "K", "S", " ", ".", "\\.", "\\b", "\\d", "[ab]", "[^k]", "(ab|s)",
      "(?:ks)", "\\x61", "\\x{73}", "\\pL", "x", "-", "1", "i", "I", "e"
    };
    String[] quantifiers = {"", "", "", "", "*", "+", "?", "{2}", "{1,2}", "+?"};
    String alphabet = "abksKSx.- 1\u017f\u212aieI\u00e9\u0130\u0131";
    int checked = 0;
    for (int n = 0; n < 4000; n++) {
      StringBuilder p = new StringBuilder();
      int len = 1 + rnd.nextInt(7);
      for (int i = 0; i < len; i++) {
        p.append(atoms[rnd.nextInt(atoms.length)]);
        p.append(quantifiers[rnd.nextInt(quantifiers.length)]);
      }
      if (rnd.nextInt(8) == 0) {
        p.append('|').append(atoms[rnd.nextInt(atoms.length)]);
      }
      boolean ci = rnd.nextBoolean();
      UserRegex r;
      try {
        r = UserRegex.compile(p.toString(), ci);
      } catch (UserRegex.InvalidRegexException e) {
        continue;
      }
      com.google.re2j.Pattern raw =
          com.google.re2j.Pattern.compile(
              p.toString(), ci ? com.google.re2j.Pattern.CASE_INSENSITIVE : 0);
      for (int t = 0; t < 20; t++) {
        StringBuilder text = new StringBuilder();
        int tl = rnd.nextInt(24);
        for (int i = 0; i < tl; i++) {
          text.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
        }
        if (rnd.nextBoolean() && !p.isEmpty()) {
          text.append(p, 0, Math.min(p.length(), 1 + rnd.nextInt(p.length())));
        }
        String s = text.toString();
        assertThat(r.find(s)).as("%s on %s (ci %s)", p, s, ci).isEqualTo(raw.matcher(s).find());
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(40_000);
  }
}
