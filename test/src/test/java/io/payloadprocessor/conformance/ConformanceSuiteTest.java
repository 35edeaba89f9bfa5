package io.payloadprocessor.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs the public conformance suite ({@code test/conformance/**.yaml}) in {@code mvn verify}: one
 * JUnit test per case, each against a fresh server as the {@code conformance} command does.
 */
class ConformanceSuiteTest {
  private static Path suite() {
    Path base = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
    Path dir = base.resolve("conformance");
    return Files.isDirectory(dir) ? dir : base.resolve("test/conformance");
  }

  @TestFactory
  Stream<DynamicTest> conformanceSuite() throws Exception {
    List<Path> files = ConformanceRunner.discover(List.of(suite()));
    assertThat(files).as("conformance case files").hasSizeGreaterThan(40);
    ConformanceRunner runner = new ConformanceRunner(null);
    List<DynamicTest> tests = new ArrayList<>();
    for (Path f : files) {
      for (Object o : ConformanceRunner.load(f)) {
        if (o instanceof ConformanceCase c) {
          tests.add(
              DynamicTest.dynamicTest(
                  c.tier() + " " + c.name(),
                  f.toUri(),
                  () -> {
                    ConformanceRunner.Result r = runner.run(c);
                    assertThat(r.verdict()).as(r.line()).isEqualTo(ConformanceRunner.Verdict.PASS);
                  }));
        } else {
          ConformanceRunner.Result bad = (ConformanceRunner.Result) o;
          tests.add(
              DynamicTest.dynamicTest(
                  bad.name(),
                  () ->
                      assertThat(bad.verdict())
                          .as(bad.line())
                          .isEqualTo(ConformanceRunner.Verdict.PASS)));
        }
      }
    }
    return tests.stream();
  }
}
