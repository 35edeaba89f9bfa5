package io.payloadprocessor.runtime;

import static io.payloadprocessor.modules.testing.SseChunks.parse;
import static io.payloadprocessor.modules.testing.SseChunks.wire;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.payloadprocessor.spi.SseEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SseParserTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static List<SseEvent> events(List<SseEvent> pieces) {
    return pieces.stream().filter(SseEvent::isEvent).toList();
  }

  @Test
  void readsFieldsAsTheSpecificationAssemblesThem() throws Exception {
    List<SseEvent> pieces =
        parse(
            utf8(
                """
                event: add
                id: 7
                data: a
                data:b
                data:  c
                retry: 10
                x-unknown: 1

                data

                data:

                """));
    assertThat(events(pieces))
        .containsExactly(
            new SseEvent("add", "a\nb\n c", "7"), SseEvent.data(""), SseEvent.data(""));
  }

  @Test
  void everyLineEndKindAndTheBytesBetweenEventsSurvive() throws Exception {
    String stream =
        "\n\n: keep-alive\r\n\r\ndata:{\"a\":1}\r\n\r\n"
            + "event: x\rdata: 2\r\r"
            + ": inside\ndata: 3\n: still inside\n\n"
            + "event: lost\n\n" // a field without data: no event
            + "data: tail";
    byte[] bytes = utf8(stream);
    List<SseEvent> pieces = parse(bytes);
    assertThat(wire(pieces)).isEqualTo(bytes);
    assertThat(events(pieces))
        .containsExactly(
            SseEvent.data("{\"a\":1}"),
            new SseEvent("x", "2", null),
            SseEvent.data("3"),
            SseEvent.data("tail"));
    // Each event keeps its own bytes; what is not an event comes as a piece of its own.
    assertThat(pieces.get(0).isEvent()).isFalse();
    assertThat(new String(pieces.get(0).toWireBytes(), StandardCharsets.UTF_8))
        .isEqualTo("\n\n: keep-alive\r\n\r\n");
    assertThat(pieces.get(1).toWire()).isEqualTo("data:{\"a\":1}\r\n\r\n");
    assertThat(pieces.get(2).toWire()).isEqualTo("event: x\rdata: 2\r\r");
    // A comment before an event's first field is between events; one after it is in the event.
    assertThat(pieces.get(3).toWire()).isEqualTo(": inside\n");
    assertThat(pieces.get(3).isEvent()).isFalse();
    assertThat(pieces.get(4).toWire()).isEqualTo("data: 3\n: still inside\n\n");
    assertThat(pieces.get(5).toWire()).isEqualTo("event: lost\n\n");
    assertThat(pieces.get(5).isEvent()).isFalse();
    // The stream ended without a blank line: the event is delivered, and stays unterminated.
    assertThat(pieces.get(6).toWire()).isEqualTo("data: tail");
    assertThat(pieces).hasSize(7);
  }

  @Test
  void aKeepAliveBetweenEventsPassesAtOnce() throws Exception {
    SseParser p = new SseParser();
    assertThat(p.feed(utf8("data: 1\n\n"))).containsExactly(SseEvent.data("1"));
    List<SseEvent> ping = p.feed(utf8(": ping\n\n"));
    assertThat(ping).hasSize(1);
    assertThat(ping.get(0).isEvent()).isFalse();
    assertThat(ping.get(0).toWire()).isEqualTo(": ping\n\n");
    // A comment cut by a chunk boundary is passed in pieces too, never held.
    assertThat(wire(p.feed(utf8(": lo")))).isEqualTo(utf8(": lo"));
    assertThat(wire(p.feed(utf8("ng comment\ndata: 2")))).isEqualTo(utf8("ng comment\n"));
    List<SseEvent> end = p.feed(utf8("\n\n"));
    assertThat(end).containsExactly(SseEvent.data("2"));
    assertThat(end.get(0).toWire()).isEqualTo("data: 2\n\n");
    assertThat(p.finish()).isEmpty();
  }

  @Test
  void aCrEndingAChunkDeliversTheEventAtOnce() throws Exception {
    SseParser p = new SseParser();
    List<SseEvent> first = p.feed(utf8("data: 1\r\n\r"));
    assertThat(first).containsExactly(SseEvent.data("1"));
    assertThat(first.get(0).toWire()).isEqualTo("data: 1\r\n\r");
    List<SseEvent> next = p.feed(utf8("\ndata: 2\r\n\r\n"));
    assertThat(wire(next)).isEqualTo(utf8("\ndata: 2\r\n\r\n"));
    assertThat(events(next)).containsExactly(SseEvent.data("2"));
    assertThat(p.finish()).isEmpty();
  }

  @Test
  void utf8SplitAcrossChunksIsDecodedWhole() throws Exception {
    byte[] bytes = utf8("data: h\u00e9llo \u4e16\u754c \ud83d\ude00\n\n");
    for (int cut = 1; cut < bytes.length; cut++) {
      List<SseEvent> pieces = parse(bytes, cut);
      assertThat(events(pieces))
          .containsExactly(SseEvent.data("h\u00e9llo \u4e16\u754c \ud83d\ude00"));
      assertThat(wire(pieces)).isEqualTo(bytes);
    }
  }

  @Test
  void invalidUtf8IsKeptAsBytes() throws Exception {
    byte[] bytes = {'d', 'a', 't', 'a', ':', ' ', (byte) 0xff, (byte) 0xc3, '\n', '\n'};
    List<SseEvent> pieces = parse(bytes, 7);
    assertThat(wire(pieces)).isEqualTo(bytes);
    assertThat(events(pieces)).hasSize(1);
  }

  @Test
  void withDataKeepsAnUnchangedEventAndFramesAChangedOneCanonically() throws Exception {
    SseEvent parsed = events(parse(utf8("event:e\r\nid:1\r\ndata:x\r\n\r\n"))).get(0);
    assertThat(parsed.isAsParsed()).isTrue();
    assertThat(parsed.withData("x")).isSameAs(parsed);
    SseEvent changed = parsed.withData("y\nz");
    assertThat(changed.isAsParsed()).isFalse();
    assertThat(changed.toWire()).isEqualTo("event: e\nid: 1\ndata: y\ndata: z\n\n");
    assertThat(changed).isEqualTo(new SseEvent("e", "y\nz", "1"));
  }

  @Test
  void toStringNeverShowsTheData() throws Exception {
    SseEvent e = events(parse(utf8("data: secret-value\n\n"))).get(0);
    assertThat(e.toString()).doesNotContain("secret").contains("12 chars");
  }

  @Test
  void overlongLineOrEventIsAProtocolError() throws Exception {
    SseParser p = new SseParser();
    byte[] line = new byte[SseParser.MAX_LINE_BYTES + 1];
    Arrays.fill(line, (byte) 'a');
    assertThatThrownBy(() -> p.feed(line)).isInstanceOf(SseParser.SseException.class);

    SseParser q = new SseParser();
    byte[] big = new byte[1024 * 1024];
    Arrays.fill(big, (byte) 'a');
    System.arraycopy(utf8("data: "), 0, big, 0, 6);
    big[big.length - 1] = '\n';
    assertThatThrownBy(
            () -> {
              for (int i = 0; i <= SseParser.MAX_EVENT_BYTES / big.length; i++) {
                q.feed(big);
              }
            })
        .isInstanceOf(SseParser.SseException.class)
        .hasMessageContaining("event");
  }

  @Test
  void aLongCommentBetweenEventsIsPassedOnNotBuffered() throws Exception {
    SseParser p = new SseParser();
    p.feed(utf8(":"));
    byte[] more = new byte[1024 * 1024];
    Arrays.fill(more, (byte) 'c');
    long passed = 1;
    for (int i = 0; i < 6; i++) {
      passed += wire(p.feed(more)).length;
    }
    assertThat(passed).isEqualTo(1 + 6L * more.length);
    assertThat(p.feed(utf8("\ndata: after\n\n"))).contains(SseEvent.data("after"));
  }

  /**
   * Random streams (random line ends, field spacing, comments, blank lines, retry fields, UTF-8, an
   * unterminated or terminated end) in random chunkings: the pieces always write back the exact
   * input, and the events are the same as when the stream is parsed whole.
   */
  @Test
  void anyChunkingGivesBackTheSameBytesAndTheSameEvents() throws Exception {
    Random rnd = new Random(5091);
    String[] ends = {"\n", "\r\n", "\r"};
    for (int round = 0; round < 2000; round++) {
      StringBuilder sb = new StringBuilder();
      List<SseEvent> expected = new ArrayList<>();
      int n = rnd.nextInt(6);
      for (int i = 0; i < n; i++) {
        String nl = ends[rnd.nextInt(ends.length)];
        if (rnd.nextInt(3) == 0) {
          sb.append(": c").append(i).append(nl);
        }
        if (rnd.nextInt(4) == 0) {
          sb.append(nl);
        }
        String type = rnd.nextBoolean() ? null : "t" + i;
        if (type != null) {
          sb.append("event:").append(rnd.nextBoolean() ? " " : "").append(type).append(nl);
        }
        if (rnd.nextInt(5) == 0) {
          sb.append("retry: 100").append(nl);
        }
        int lines = 1 + rnd.nextInt(3);
        StringBuilder data = new StringBuilder();
        for (int l = 0; l < lines; l++) {
          String value = "{\"v\":\"\u00e9" + i + "-" + l + "\"}";
          sb.append("data:").append(rnd.nextBoolean() ? " " : "").append(value).append(nl);
          data.append(l == 0 ? "" : "\n").append(value);
        }
        expected.add(new SseEvent(type, data.toString(), null));
        boolean last = i == n - 1;
        if (!last || rnd.nextBoolean()) {
          sb.append(nl); // terminated; the last event may be left unterminated
        }
      }
      if (rnd.nextInt(4) == 0) {
        sb.append(rnd.nextBoolean() ? "\n\n" : ": bye\r\n"); // bytes after the last event
      }
      byte[] bytes = utf8(sb.toString());
      int[] cuts = rnd.ints(rnd.nextInt(8), 0, bytes.length + 1).sorted().toArray();
      List<SseEvent> pieces = parse(bytes, cuts);
      String why = "round " + round + " cuts " + Arrays.toString(cuts) + ": " + sb;
      assertThat(wire(pieces)).as(why).isEqualTo(bytes);
      assertThat(events(pieces)).as(why).isEqualTo(expected);
      for (SseEvent e : pieces) {
        assertThat(e.isAsParsed()).as(why).isTrue();
        if (!e.isEvent()) {
          assertThat(e.data()).isEmpty();
        }
      }
    }
  }
}
