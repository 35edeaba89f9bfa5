package io.payloadprocessor.modules.pii;

import static io.payloadprocessor.modules.common.GuardFixtures.openAiDelta;
import static io.payloadprocessor.modules.common.GuardFixtures.releasedText;
import static org.assertj.core.api.Assertions.assertThat;

import io.payloadprocessor.modules.common.GuardFixtures;
import io.payloadprocessor.modules.testing.TestContext;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Streams random prose with personal data split at random points: whatever the split, everything
 * released so far is a prefix of the whole text masked at once, so no value the scanner finds is
 * ever released early, and the stream ends with exactly that masked text.
 */
class PiiStreamSplitPropertyTest {
  static final String[] VALUES = {
    "jane.doe@example.com",
    "4111 1111 1111 1111",
    "123-45-6789",
    "GB82 WEST 1234 5698 7654 32",
    "+44 20 7946 0958",
    "192.168.10.20"
  };
  static final String[] WORDS = {
    "the", "order", "shipped", "today", "and", "will", "arrive", "soon.", "Please", "call", "or",
    "write", "if", "needed,", "thanks"
  };

  private static int countRaw(String text, List<String> values) {
    int n = 0;
    for (String v : values) {
      if (text.contains(v)) {
        n++;
      }
    }
    return n;
  }

  @Test
  void ssnFollowedByOtherNumberIsStillFound() {
    assertThat(DetectorsTest.found("ssn 123-45-6789 4111 1111 1111 1111"))
        .contains("us_ssn=123-45-6789");
  }

  @Test
  void noSplitReleasesAValueAndResultMatchesWholeTextMasking() throws Exception {
    PiiProcessor p =
        (PiiProcessor)
            GuardFixtures.create(
                new PiiFactory(),
                "prop",
                "{\"detectors\":[{\"type\":\"email\"},{\"type\":\"payment_card\"},"
                    + "{\"type\":\"us_ssn\"},{\"type\":\"iban\"},{\"type\":\"phone\"},"
                    + "{\"type\":\"ipv4\"}]}",
                new TestContext());
    Random rnd = new Random(5091);
    int masked = 0;
    for (int round = 0; round < 150; round++) {
      StringBuilder text = new StringBuilder();
      List<String> used = new ArrayList<>();
      int words = 40 + rnd.nextInt(400);
      for (int w = 0; w < words; w++) {
        if (rnd.nextInt(25) == 0) {
          String v = VALUES[rnd.nextInt(VALUES.length)];
          used.add(v);
          text.append(v);
        } else {
          text.append(WORDS[rnd.nextInt(WORDS.length)]);
        }
        text.append(' ');
      }
      String full = text.toString();
      String expected = Masker.apply(full, p.scanner().scan(full), 0);

      SseStreamProcessor s = p.newStream();
      List<SseEvent> out = new ArrayList<>();
      int pos = 0;
      while (pos < full.length()) {
        int n = 1 + rnd.nextInt(rnd.nextBoolean() ? 6 : 60);
        int end = Math.min(full.length(), pos + n);
        StreamStep step = s.onEvent(openAiDelta(full.substring(pos, end)));
        assertThat(step.block()).isNull();
        out.addAll(step.emit());
        assertThat(expected).as("round %d", round).startsWith(releasedText(out));
        pos = end;
      }
      out.addAll(s.onEnd().emit());
      assertThat(releasedText(out)).as("round %d", round).isEqualTo(expected);
      masked += used.size() - countRaw(expected, used);
    }
    assertThat(masked).isGreaterThan(500); // the values really were found and masked
  }
}
