package io.payloadprocessor.modules.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Runs every built-in detector over its corpus ({@code guards/pii-corpus.tsv}: positives in the
 * formats people write, look-alike negatives) and requires no miss and no false finding. The
 * precision/recall table it computes is written to {@code target/pii-corpus.md} and kept in
 * BENCHMARKS.md ("Guards").
 */
class PiiCorpusTest {
  record Case(int line, String detector, List<String> expected, String text) {}

  /** Per detector: true positives, false negatives, false positives, negative cases. */
  static final class Tally {
    int tp;
    int fn;
    int fp;
    int positives;
    int negatives;
  }

  static List<Case> corpus() throws IOException {
    List<Case> out = new ArrayList<>();
    try (InputStream in = PiiCorpusTest.class.getResourceAsStream("/guards/pii-corpus.tsv")) {
      String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
      for (int i = 0; i < lines.length; i++) {
        String l = lines[i];
        if (l.isBlank() || l.startsWith("#")) {
          continue;
        }
        String[] f = l.split("\t", 3);
        assertThat(f).as("line %d has three columns", i + 1).hasSize(3);
        List<String> expected = f[1].equals("-") ? List.of() : Arrays.asList(f[1].split(" \\| "));
        out.add(new Case(i + 1, f[0], expected, f[2]));
      }
    }
    return out;
  }

  static List<String> found(Detector d, String text) {
    List<int[]> ranges = new ArrayList<>();
    d.find(new ScanText(text), ranges);
    List<String> out = new ArrayList<>();
    for (int[] r : ranges) {
      out.add(text.substring(r[0], r[1]));
    }
    return out;
  }

  @Test
  void everyDetectorFindsItsPositivesAndNoneOfItsLookAlikes() throws IOException {
    Map<String, Tally> tallies = new TreeMap<>();
    List<String> problems = new ArrayList<>();
    for (Case c : corpus()) {
      Detector d = Detectors.builtin(c.detector());
      assertThat(d).as("line %d: detector %s", c.line(), c.detector()).isNotNull();
      Tally t = tallies.computeIfAbsent(c.detector(), k -> new Tally());
      if (c.expected().isEmpty()) {
        t.negatives++;
      } else {
        t.positives++;
      }
      List<String> got = found(d, c.text());
      List<String> missing = new ArrayList<>(c.expected());
      for (String g : got) {
        if (!missing.remove(g)) {
          t.fp++;
          problems.add("line " + c.line() + " (" + c.detector() + "): false finding [" + g + "]");
        } else {
          t.tp++;
        }
      }
      for (String m : missing) {
        t.fn++;
        problems.add("line " + c.line() + " (" + c.detector() + "): missed [" + m + "]");
      }
    }
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "pii-corpus.md"), table(tallies));
    assertThat(problems).isEmpty();
    assertThat(tallies.keySet()).containsAll(Detectors.builtinNames());
  }

  static String table(Map<String, Tally> tallies) {
    StringBuilder sb = new StringBuilder();
    sb.append("| Detector | Positive cases | Values | Look-alike cases | TP | FN | FP |")
        .append(" Precision | Recall |\n");
    sb.append("|---|---|---|---|---|---|---|---|---|\n");
    tallies.forEach(
        (name, t) ->
            sb.append("| `")
                .append(name)
                .append("` | ")
                .append(t.positives)
                .append(" | ")
                .append(t.tp + t.fn)
                .append(" | ")
                .append(t.negatives)
                .append(" | ")
                .append(t.tp)
                .append(" | ")
                .append(t.fn)
                .append(" | ")
                .append(t.fp)
                .append(" | ")
                .append(ratio(t.tp, t.tp + t.fp))
                .append(" | ")
                .append(ratio(t.tp, t.tp + t.fn))
                .append(" |\n"));
    return sb.toString();
  }

  private static String ratio(int a, int b) {
    return b == 0 ? "n/a" : String.format(java.util.Locale.ROOT, "%.2f", (double) a / b);
  }
}
