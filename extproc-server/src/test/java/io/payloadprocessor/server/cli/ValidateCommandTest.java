package io.payloadprocessor.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ValidateCommandTest {
  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();

  private int run(String... args) {
    CommandLine cmd = new CommandLine(new ValidateCommand());
    cmd.setOut(new PrintWriter(out));
    cmd.setErr(new PrintWriter(err));
    return cmd.execute(args);
  }

  private static final String VALID =
      "apiVersion: ainetworking.x-k8s.io/v0alpha0\n"
          + "kind: PayloadProcessor\n"
          + "metadata: {name: route-by-model}\n"
          + "spec:\n"
          + "  targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: ai-gateway}\n"
          + "  phase: PreRouting\n"
          + "  processors:\n"
          + "    - name: extract-model\n"
          + "      type: InProcess\n"
          + "      inProcess:\n"
          + "        request:\n"
          + "          setHeaders:\n"
          + "            - name: X-Gateway-Model-Name\n"
          + "              value: json(request.body).model\n"
          + "    - name: scan\n"
          + "      type: ExtProcess\n"
          + "      extProcess: {backendRef: {name: pii, port: 4444}}\n";

  @Test
  void validConfig() throws Exception {
    Path file = Files.writeString(dir.resolve("pp.yaml"), VALID);
    assertThat(run(file.toString())).isEqualTo(0);
    assertThat(out.toString()).isEqualTo("OK: 1 documents, 2 processors" + System.lineSeparator());
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void invalidConfigPrintsEveryErrorWithItsLocation() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("pp.yaml"),
            VALID.replace("name: scan", "name: Scan").replace("value: json", "value: jsn"));
    assertThat(run(dir.toString())).isEqualTo(1);
    String[] lines = err.toString().split("\\R");
    assertThat(lines)
        .contains(
            file
                + ": document 1 (route-by-model): spec.processors[1].name: must be 1-63"
                + " lower-case letters, digits and '-', starting and ending with a letter or digit,"
                + " got 'Scan'");
    assertThat(err.toString())
        .contains("spec.processors[0].inProcess.request.setHeaders[0].value: CEL does not compile")
        .contains("INVALID: 2 error(s)");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void warningsArePrinted() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("pp.yaml"), VALID + "---\n" + VALID.replace("route-by-model", "second"));
    assertThat(run(file.toString())).isEqualTo(0);
    assertThat(err.toString()).startsWith("warning: ").contains("document 2 (second): ignored");
  }

  @Test
  void unreadablePath() {
    assertThat(run(dir.resolve("missing.yaml").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("missing.yaml: cannot read");
    assertThat(run(dir.toString())).isEqualTo(2); // a directory without YAML files
  }

  @Test
  void helpExplainsUsageAndExitCodes() {
    assertThat(run("--help")).isEqualTo(0);
    assertThat(out.toString())
        .contains("Usage: validate")
        .contains("PATH")
        .contains("Exit codes:")
        .contains("OK: N documents, M processors");
  }
}
