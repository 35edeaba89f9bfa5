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
      """
      apiVersion: ainetworking.x-k8s.io/v0alpha0
      kind: PayloadProcessor
      metadata: {name: route-by-model}
      spec:
        targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: ai-gateway}
        phase: PreRouting
        processors:
          - name: extract-model
            type: InProcess
            inProcess:
              request:
                setHeaders:
                  - name: X-Gateway-Model-Name
                    value: json(request.body).model
          - name: scan
            type: ExtProcess
            extProcess: {backendRef: {name: pii, port: 4444}}
      """;

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
                + ":15: document 1 (route-by-model): spec.processors[1].name: must be 1-63"
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
    assertThat(out.toString())
        .startsWith(
            "OK: 1 documents in force, 1 ignored (same phase and targetRef as an older document;"
                + " see the warnings), 2 processors");
  }

  @Test
  void strictTurnsWarningsIntoFailure() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("pp.yaml"), VALID + "---\n" + VALID.replace("route-by-model", "second"));
    assertThat(run("--strict", file.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("INVALID (--strict): 1 warning(s) treated as errors");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void errorsNameTheLineOfTheField() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("pp.yaml"),
            VALID + "    - {name: late, type: InProcess, timeout: 5ms, inProcess: {}}\n");
    assertThat(run(file.toString())).isEqualTo(1);
    assertThat(err.toString())
        .contains(
            file
                + ":18: document 1 (route-by-model): spec.processors[2].timeout: must be at"
                + " least 10ms, got 5ms");
  }

  @Test
  void typeErrorsSpeakYamlNotJava() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("pp.yaml"),
            VALID.replace(
                "    - name: scan\n      type: ExtProcess\n      extProcess: {backendRef: {name: pii,"
                    + " port: 4444}}\n",
                "    - name: guard\n      type: payload-processor.io/Module\n"
                    + "      module: {id: prompt-guard, config: {deny: \"ignore all\"}}\n"
                    + "    - name: meter\n      type: payload-processor.io/Module\n"
                    + "      module: {id: usage-metering, config: {injectStreamUsage: [1]}}\n"
                    + "    - name: pii\n      type: payload-processor.io/Module\n"
                    + "      module: {id: pii, config: {detectors: [{type: email, action: mask,"
                    + " colour: red}]}}\n"));
    assertThat(run(file.toString())).isEqualTo(1);
    assertThat(err.toString())
        .contains("spec.processors[1].module.config.deny: must be a list, got string 'ignore all'")
        .contains(
            "spec.processors[2].module.config.injectStreamUsage: must be true or false, got a"
                + " list")
        .contains("spec.processors[3].module.config.detectors[0].colour: unknown field; allowed:")
        .doesNotContain("java.")
        .doesNotContain("class ")
        .doesNotContain("JsonToken");
  }

  @Test
  void anchorsAliasesAndMergeKeysWork() throws Exception {
    Path file =
        Files.writeString(
            dir.resolve("pp.yaml"),
            """
            apiVersion: ainetworking.x-k8s.io/v0alpha0
            kind: PayloadProcessor
            metadata: {name: anchors}
            spec:
              targetRef: {kind: Gateway, name: gw}
              phase: PreRouting
              processors:
                - &base
                  name: one
                  type: InProcess
                  failureMode: FailOpen
                  inProcess: {request: {setHeaders: [{name: X-A, value: '"a"'}]}}
                - <<: *base
                  name: two
                - {<<: *base, name: three, timeout: 50ms}
            """);
    assertThat(run(file.toString())).as(err.toString()).isEqualTo(0);
    assertThat(out.toString()).startsWith("OK: 1 documents, 3 processors");
  }

  @Test
  void aRecursiveAliasIsAClearError() throws Exception {
    Path file = Files.writeString(dir.resolve("pp.yaml"), "a: &x\n  b: *x\n");
    assertThat(run(file.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("a recursive alias?");
  }

  @Test
  void kubectlListOutputIsAccepted() throws Exception {
    String item = "  - " + VALID.strip().replace("\n", "\n    ");
    Path file =
        Files.writeString(
            dir.resolve("list.yaml"),
            "apiVersion: v1\nkind: List\nitems:\n"
                + item
                + "\nmetadata: {resourceVersion: \"\"}\n");
    assertThat(run(file.toString())).as(err.toString()).isEqualTo(0);
    assertThat(out.toString()).startsWith("OK: 1 documents, 2 processors");
  }

  @Test
  void errorsInsideAListNameTheItem() throws Exception {
    String item =
        "  - " + VALID.replace("name: scan", "name: Scan").strip().replace("\n", "\n    ");
    Path file =
        Files.writeString(
            dir.resolve("list.yaml"), "apiVersion: v1\nkind: List\nitems:\n" + item + "\n");
    assertThat(run(file.toString())).isEqualTo(1);
    assertThat(err.toString())
        .contains(file + ":18: document 1 (route-by-model): items[0].spec.processors[1].name:");
  }

  @Test
  void unknownModuleOptionIsAnError() throws Exception {
    Path file = Files.writeString(dir.resolve("pp.yaml"), VALID);
    assertThat(run("--module-option", "redis.uri=redis://h:1", file.toString())).isEqualTo(1);
    assertThat(err.toString())
        .contains(
            "--module-option: redis.uri: unknown option; known: embeddings.cacheEntries, embeddings.threads, redis.url");
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
