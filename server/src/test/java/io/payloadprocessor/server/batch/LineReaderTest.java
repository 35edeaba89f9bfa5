package io.payloadprocessor.server.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineReaderTest {
  private static List<LineReader.Line> read(String s, int max) throws IOException {
    List<LineReader.Line> out = new ArrayList<>();
    try (LineReader r =
        new LineReader(new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8)), max)) {
      LineReader.Line l;
      while ((l = r.next()) != null) {
        out.add(l);
      }
    }
    return out;
  }

  private static String text(LineReader.Line l) {
    return new String(l.bytes(), StandardCharsets.UTF_8);
  }

  @Test
  void splitsOnLfStripsCrAndKeepsAFinalLineWithoutLf() throws Exception {
    List<LineReader.Line> lines = read("a\r\nbb\n\nccc", 100);
    assertThat(lines).extracting(LineReaderTest::text).containsExactly("a", "bb", "", "ccc");
    assertThat(lines).extracting(LineReader.Line::number).containsExactly(1L, 2L, 3L, 4L);
  }

  @Test
  void emptyInputHasNoLinesAndATrailingLfAddsNone() throws Exception {
    assertThat(read("", 10)).isEmpty();
    assertThat(read("x\n", 10)).hasSize(1);
  }

  @Test
  void aTooLongLineIsSkippedToItsEndAndTheNextLineIsIntact() throws Exception {
    List<LineReader.Line> lines = read("short\n" + "y".repeat(50) + "\nnext\n", 10);
    assertThat(lines).hasSize(3);
    assertThat(lines.get(1).tooLong()).isTrue();
    assertThat(lines.get(1).length()).isEqualTo(50);
    assertThat(lines.get(1).number()).isEqualTo(2);
    assertThat(text(lines.get(2))).isEqualTo("next");
  }

  @Test
  void linesLongerThanTheReadBufferArriveWhole() throws Exception {
    String big = "z".repeat(200_000);
    List<LineReader.Line> lines = read(big + "\n" + big, 1 << 20);
    assertThat(lines).extracting(LineReaderTest::text).containsExactly(big, big);
  }
}
