package io.payloadprocessor.modules.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScanTextTest {
  private static List<String> runs(String text) {
    ScanText t = new ScanText(text);
    List<String> out = new ArrayList<>();
    for (int r = 0; r < t.runs(); r++) {
      out.add(text.substring(t.start(r), t.end(r)));
    }
    return out;
  }

  @Test
  void findsTheRunsOfAsciiDigits() {
    assertThat(runs("order 12345, card 4111 1111 1111 1111 at 9"))
        .containsExactly("12345", "4111", "1111", "1111", "1111", "9");
    assertThat(runs("")).isEmpty();
    assertThat(runs("no digits in this text at all")).isEmpty();
    assertThat(runs("0123456789012345678901234567890"))
        .containsExactly("0123456789012345678901234567890");
  }

  /**
   * Characters whose low byte is an ASCII digit (İ is U+0130, ı U+0131, Ĺ U+0139, ద U+0C26) are not
   * digits: the byte-wise search must confirm every candidate on the character.
   */
  @Test
  void charactersWhoseLowByteIsADigitAreNotDigits() {
    assertThat(runs("\u0130\u0131\u0139\u0c26")).isEmpty();
    assertThat(runs("4111\u01311111\u0130 22")).containsExactly("4111", "1111", "22");
    assertThat(runs("x\u0131\u01321\u0133")).containsExactly("1");
  }

  /** Against a character-by-character reference, on random texts with such characters. */
  @Test
  void agreesWithACharacterByCharacterSearch() {
    Random rnd = new Random(20261202);
    String alphabet = "0123456789 a-\u0130\u0131\u0139\u0c26\u00e9";
    for (int n = 0; n < 5000; n++) {
      StringBuilder sb = new StringBuilder();
      int len = rnd.nextInt(40);
      for (int i = 0; i < len; i++) {
        sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
      }
      String text = sb.toString();
      List<String> expected = new ArrayList<>();
      int i = 0;
      while (i < text.length()) {
        if (ScanText.isDigit(text.charAt(i))) {
          int st = i;
          while (i < text.length() && ScanText.isDigit(text.charAt(i))) {
            i++;
          }
          expected.add(text.substring(st, i));
        } else {
          i++;
        }
      }
      assertThat(runs(text)).as(text).isEqualTo(expected);
    }
  }
}
