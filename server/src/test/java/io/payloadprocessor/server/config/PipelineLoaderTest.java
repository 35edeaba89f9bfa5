package io.payloadprocessor.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.server.pipeline.FailureMode;
import io.payloadprocessor.server.pipeline.Stage;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.ModuleFactory;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineLoaderTest {
  @TempDir Path dir;

  /** A module that needs {@code threshold} in [0, 1] and records what it was given. */
  static final class TestModule implements ModuleFactory {
    final List<ModuleContext> contexts = new ArrayList<>();
    final AtomicInteger closed = new AtomicInteger();

    @Override
    public String id() {
      return "test-guard";
    }

    @Override
    public Processor create(String processorName, JsonNode config, ModuleContext context)
        throws ConfigException {
      contexts.add(context);
      JsonNode t = config == null ? null : config.get("threshold");
      List<ConfigProblem> problems = new ArrayList<>();
      if (t == null || !t.isNumber() || t.doubleValue() < 0 || t.doubleValue() > 1) {
        problems.add(new ConfigProblem("threshold", "must be a number between 0 and 1"));
      }
      if (config != null && config.has("rules") && !config.get("rules").isArray()) {
        problems.add(new ConfigProblem("rules", "must be a list"));
      }
      if (!problems.isEmpty()) {
        throw new ConfigException(problems);
      }
      return new ClosingProcessor(closed);
    }
  }

  static final class ClosingProcessor implements Processor, AutoCloseable {
    private final AtomicInteger closed;

    ClosingProcessor(AtomicInteger closed) {
      this.closed = closed;
    }

    @Override
    public Outcome onRequest(Exchange exchange) {
      return Outcome.proceed();
    }

    @Override
    public void close() {
      closed.incrementAndGet();
    }
  }

  private final TestModule module = new TestModule();
  private final List<BackendRef> extRefs = new ArrayList<>();

  private PipelineLoader loader() {
    ProcessorBuilders builders =
        (name, ref, timeout) -> {
          extRefs.add(ref);
          return ProcessorBuilders.validationOnly().extProcess(name, ref, timeout);
        };
    return new PipelineLoader(
        builders, List.of(module), new PrometheusRegistry(), Map.of("redis.url", "redis://x"));
  }

  private Path write(String name, String content) throws Exception {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content, StandardCharsets.UTF_8);
    return p;
  }

  static String doc(String name, String kind, String phase, String processors) {
    return doc(name, kind, "gw", phase, null, processors);
  }

  static String doc(
      String name, String kind, String target, String phase, String created, String processors) {
    return "apiVersion: ainetworking.x-k8s.io/v0alpha0\n"
        + "kind: PayloadProcessor\n"
        + "metadata:\n"
        + "  name: "
        + name
        + "\n"
        + (created == null ? "" : "  creationTimestamp: \"" + created + "\"\n")
        + "spec:\n"
        + "  targetRef: {group: gateway.networking.k8s.io, kind: "
        + kind
        + ", name: "
        + target
        + "}\n"
        + "  phase: "
        + phase
        + "\n"
        + "  processors:\n"
        + processors;
  }

  static String inProcess(String name) {
    return "    - name: "
        + name
        + "\n"
        + "      type: InProcess\n"
        + "      inProcess:\n"
        + "        request:\n"
        + "          setHeaders: [{name: X-Model, value: 'json(request.body).model'}]\n";
  }

  private LoadResult loadOne(String processors) throws Exception {
    return loader()
        .load(write("pp.yaml", doc("route-by-model", "Gateway", "PreRouting", processors)));
  }

  /** The one error of a load, checked to name file, document and field. */
  private ConfigError onlyError(LoadResult r) {
    assertThat(r.errors()).as("errors: %s", r.errors()).hasSize(1);
    assertThat(r.pipeline()).isNull();
    return r.errors().get(0);
  }

  private ConfigError onlyError(String processors) throws Exception {
    return onlyError(loadOne(processors));
  }

  @Test
  void loadsTheGepExample() throws Exception {
    LoadResult r =
        loadOne(
            inProcess("extract-model")
                + "    - name: pii-scanner\n"
                + "      type: ExtProcess\n"
                + "      failureMode: FailOpen\n"
                + "      timeout: 500ms\n"
                + "      extProcess:\n"
                + "        backendRef: {kind: Service, name: pii-scanner-service, port: 4444}\n"
                + "    - name: guard\n"
                + "      type: payload-processor.io/Module\n"
                + "      module: {id: test-guard, config: {threshold: 0.5}}\n");
    assertThat(r.errors()).isEmpty();
    assertThat(r.ok()).isTrue();
    assertThat(r.documents()).isEqualTo(1);
    assertThat(r.processors()).isEqualTo(3);
    List<Step> steps = r.pipeline().steps();
    assertThat(steps)
        .extracting(Step::name)
        .containsExactly("extract-model", "pii-scanner", "guard");
    assertThat(steps)
        .extracting(Step::type)
        .containsExactly("InProcess", "ExtProcess", "test-guard");
    Step first = steps.get(0);
    assertThat(first.stage()).isEqualTo(Stage.PRE_ROUTING);
    assertThat(first.failureMode()).isEqualTo(FailureMode.FAIL_CLOSED);
    assertThat(first.timeout()).isEqualTo(Duration.ofSeconds(1));
    assertThat(first.document()).isEqualTo("route-by-model");
    assertThat(first.target().kind()).isEqualTo("Gateway");
    assertThat(steps.get(1).failureMode()).isEqualTo(FailureMode.FAIL_OPEN);
    assertThat(steps.get(1).timeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(extRefs).containsExactly(new BackendRef("pii-scanner-service", null, 4444));
    assertThat(module.contexts).hasSize(1);
    assertThat(module.contexts.get(0).configDir()).isEqualTo(dir.toAbsolutePath());
    assertThat(module.contexts.get(0).option("redis.url")).contains("redis://x");
    r.pipeline().close();
    assertThat(module.closed).hasValue(1);
  }

  @Test
  void errorToStringNamesFileDocumentFieldAndProblem() throws Exception {
    ConfigError e =
        onlyError(
            """
                - name: a
                  type: InProcess
                  timeout: 5ms
                  inProcess: {request: {removeHeaders: [x-a]}}
            """);
    assertThat(e.field()).isEqualTo("spec.processors[0].timeout");
    assertThat(e.documentIndex()).isEqualTo(1);
    assertThat(e.documentName()).isEqualTo("route-by-model");
    assertThat(e.toString())
        .isEqualTo(
            dir.resolve("pp.yaml")
                + ":11: document 1 (route-by-model): spec.processors[0].timeout: must be at least"
                + " 10ms, got 5ms");
  }

  @Test
  void timeoutRules() throws Exception {
    assertThat(
            onlyError(
                    "    - {name: a, type: InProcess, timeout: soon, inProcess: {request:"
                        + " {removeHeaders: [x]}}}\n")
                .message())
        .contains("not a duration");
    assertThat(
            onlyError(
                    "    - {name: a, type: InProcess, timeout: 100, inProcess: {request:"
                        + " {removeHeaders: [x]}}}\n")
                .message())
        .contains("duration string");
    LoadResult ok =
        loadOne(
            "    - {name: a, type: InProcess, timeout: 1m30s, inProcess: {request: {removeHeaders:"
                + " [x]}}}\n");
    assertThat(ok.pipeline().steps().get(0).timeout()).isEqualTo(Duration.ofSeconds(90));
  }

  @Test
  void unknownFieldsAreErrorsWithSuggestions() throws Exception {
    ConfigError e =
        onlyError(
            """
                - name: a
                  type: InProcess
                  inProcess:
                    request:
                      setHeader: [{name: X-A, value: '1'}]
                      removeHeaders: [x-b]
            """);
    assertThat(e.field()).isEqualTo("spec.processors[0].inProcess.request.setHeader");
    assertThat(e.message()).contains("unknown field").contains("did you mean 'setHeaders'");

    LoadResult top =
        loader()
            .load(
                write(
                    "top.yaml", doc("x", "Gateway", "PreRouting", inProcess("a")) + "extra: 1\n"));
    assertThat(onlyError(top).field()).isEqualTo("extra");
  }

  @Test
  void celAndHeaderErrorsCarryTheirFullPath() throws Exception {
    ConfigError cel =
        onlyError(
            inProcess("a")
                + "    - name: b\n"
                + "      type: InProcess\n"
                + "      inProcess:\n"
                + "        request:\n"
                + "          setHeaders: [{name: X-A, value: 'json(request.body).'}]\n");
    assertThat(cel.field()).isEqualTo("spec.processors[1].inProcess.request.setHeaders[0].value");
    assertThat(cel.message()).contains("CEL");

    ConfigError header =
        onlyError(
            """
                - name: a
                  type: InProcess
                  inProcess: {request: {setHeaders: [{name: 'X Model', value: '1'}]}}
            """);
    assertThat(header.field()).isEqualTo("spec.processors[0].inProcess.request.setHeaders[0].name");
    assertThat(header.message()).contains("not a valid HTTP header name");

    String longName = "x".repeat(257);
    assertThat(
            onlyError(
                    "    - {name: a, type: InProcess, inProcess: {request: {removeHeaders: ["
                        + longName
                        + "]}}}\n")
                .message())
        .contains("1-256");

    ConfigError path =
        onlyError(
            "    - {name: a, type: InProcess, inProcess: {request: {setBodyFields: [{path: '$.a[',"
                + " value: '1'}]}}}\n");
    assertThat(path.field())
        .isEqualTo("spec.processors[0].inProcess.request.setBodyFields[0].path");
  }

  @Test
  void processorCountAndNames() throws Exception {
    assertThat(onlyError("    []\n").field()).isEqualTo("spec.processors");
    StringBuilder seventeen = new StringBuilder();
    for (int i = 0; i < 17; i++) {
      seventeen.append(inProcess("p" + i));
    }
    assertThat(onlyError(seventeen.toString()).message()).contains("1 to 16").contains("17");

    ConfigError dup = onlyError(inProcess("same") + inProcess("same"));
    assertThat(dup.field()).isEqualTo("spec.processors[1].name");
    assertThat(dup.message()).contains("duplicate");

    assertThat(onlyError(inProcess("Bad_Name")).field()).isEqualTo("spec.processors[0].name");
    assertThat(onlyError(inProcess("a".repeat(64))).message()).contains("1-63");
  }

  @Test
  void typeAndBlockMustMatch() throws Exception {
    ConfigError both =
        onlyError(
            """
                - name: a
                  type: InProcess
                  inProcess: {request: {removeHeaders: [x]}}
                  extProcess: {backendRef: {name: s, port: 1}}
            """);
    assertThat(both.field()).isEqualTo("spec.processors[0]");
    assertThat(both.message()).contains("exactly one of").contains("inProcess and extProcess");

    ConfigError none = onlyError("    - {name: a, type: InProcess}\n");
    assertThat(none.message()).contains("found none");

    ConfigError mismatch =
        onlyError(
            "    - {name: a, type: ExtProcess, inProcess: {request: {removeHeaders: [x]}}}\n");
    assertThat(mismatch.field()).isEqualTo("spec.processors[0].inProcess");
    assertThat(mismatch.message()).contains("type ExtProcess").contains("extProcess");

    assertThat(
            onlyError("    - {name: a, type: Wasm, inProcess: {request: {removeHeaders: [x]}}}\n")
                .field())
        .isEqualTo("spec.processors[0].type");
    assertThat(
            onlyError(
                    "    - {name: a, type: InProcess, failureMode: Closed, inProcess: {request:"
                        + " {removeHeaders: [x]}}}\n")
                .field())
        .isEqualTo("spec.processors[0].failureMode");
  }

  @Test
  void extProcessBackendRefIsValidated() throws Exception {
    ConfigError port =
        onlyError(
            "    - {name: a, type: ExtProcess, extProcess: {backendRef: {name: s, port: 70000}}}\n");
    assertThat(port.field()).isEqualTo("spec.processors[0].extProcess.backendRef.port");
    ConfigError kind =
        onlyError(
            "    - {name: a, type: ExtProcess, extProcess: {backendRef: {kind: Pod, name: s, port:"
                + " 1}}}\n");
    assertThat(kind.field()).isEqualTo("spec.processors[0].extProcess.backendRef.kind");
    ConfigError missing =
        onlyError("    - {name: a, type: ExtProcess, extProcess: {backendRef: {port: 1}}}\n");
    assertThat(missing.field()).isEqualTo("spec.processors[0].extProcess.backendRef.name");
    assertThat(missing.message()).isEqualTo("required");
  }

  @Test
  void extProcessNamespaceDefaultsToTheDocument() throws Exception {
    String yaml =
        doc(
                "a",
                "Gateway",
                "PreRouting",
                "    - {name: a, type: ExtProcess, extProcess: {backendRef: {name: s, port: 9}}}\n")
            .replace("  name: a\n", "  name: a\n  namespace: ai\n");
    LoadResult r = loader().load(write("ns.yaml", yaml));
    assertThat(r.errors()).isEmpty();
    assertThat(extRefs).containsExactly(new BackendRef("s", "ai", 9));
    assertThat(r.pipeline().steps().get(0).document()).isEqualTo("ai/a");
  }

  @Test
  void moduleErrorsArePrefixedWithTheProcessorPath() throws Exception {
    LoadResult r =
        loadOne(
            """
                - name: g
                  type: payload-processor.io/Module
                  module: {id: test-guard, config: {threshold: 2, rules: x}}
            """);
    assertThat(r.errors())
        .extracting(ConfigError::field)
        .containsExactly(
            "spec.processors[0].module.config.threshold", "spec.processors[0].module.config.rules");
    ConfigError unknown =
        onlyError("    - {name: g, type: payload-processor.io/Module, module: {id: nope}}\n");
    assertThat(unknown.field()).isEqualTo("spec.processors[0].module.id");
    assertThat(unknown.message()).contains("unknown module 'nope'").contains("test-guard");
  }

  @Test
  void preRoutingNeedsAGatewayLevelTarget() throws Exception {
    LoadResult r =
        loader().load(write("route.yaml", doc("r", "HTTPRoute", "PreRouting", inProcess("a"))));
    ConfigError e = onlyError(r);
    assertThat(e.field()).isEqualTo("spec.phase");
    assertThat(e.message()).contains("Gateway or ListenerSet").contains("HTTPRoute");
    assertThat(
            loader()
                .load(write("ls.yaml", doc("l", "ListenerSet", "PreRouting", inProcess("a"))))
                .errors())
        .isEmpty();
  }

  @Test
  void documentLevelRules() throws Exception {
    String good = doc("ok", "Gateway", "PreRouting", inProcess("a"));
    assertThat(onlyError(loader().load(write("v.yaml", good.replace("v0alpha0", "v1")))).field())
        .isEqualTo("apiVersion");
    assertThat(
            onlyError(
                    loader()
                        .load(
                            write(
                                "k.yaml",
                                good.replace("kind: PayloadProcessor", "kind: Processor"))))
                .field())
        .isEqualTo("kind");
    assertThat(
            onlyError(
                    loader().load(write("p.yaml", good.replace("phase: PreRouting", "phase: Pre"))))
                .field())
        .isEqualTo("spec.phase");
    assertThat(
            onlyError(
                    loader()
                        .load(write("t.yaml", good.replace("kind: Gateway,", "kind: Service,"))))
                .field())
        .isEqualTo("spec.targetRef.kind");
    assertThat(
            onlyError(loader().load(write("n.yaml", good.replace("name: ok", "name: Not_OK"))))
                .field())
        .isEqualTo("metadata.name");
    assertThat(
            onlyError(
                    loader()
                        .load(
                            write(
                                "c.yaml",
                                doc(
                                    "c",
                                    "Gateway",
                                    "gw",
                                    "PreRouting",
                                    "yesterday",
                                    inProcess("a")))))
                .field())
        .isEqualTo("metadata.creationTimestamp");
    // The gateway.networking.k8s.io/v1alpha1 spelling of the GEP is accepted too.
    assertThat(
            loader()
                .load(
                    write(
                        "g.yaml",
                        good.replace(
                            "ainetworking.x-k8s.io/v0alpha0",
                            "gateway.networking.k8s.io/v1alpha1")))
                .errors())
        .isEmpty();
  }

  @Test
  void targetRefAndMetadataRules() throws Exception {
    String good = doc("ok", "Gateway", "PreRouting", inProcess("a"));
    assertThat(
            onlyError(
                    loader()
                        .load(
                            write(
                                "g.yaml",
                                good.replace("group: gateway.networking.k8s.io", "group: apps"))))
                .field())
        .isEqualTo("spec.targetRef.group");
    assertThat(
            onlyError(
                    loader()
                        .load(
                            write(
                                "m.yaml",
                                good.replace("  name: ok\n", "  name: ok\n  namespace: Bad_NS\n"))))
                .field())
        .isEqualTo("metadata.namespace");
    assertThat(
            onlyError(
                    loader().load(write("r.yaml", good.replace("name: gw}", "name: gw, port: 1}"))))
                .field())
        .isEqualTo("spec.targetRef.port");
    assertThat(
            onlyError(
                    loader()
                        .load(
                            write(
                                "s.yaml",
                                good.replace("  processors:\n", "  processors: {}\n")
                                    .replace(inProcess("a"), ""))))
                .message())
        .contains("must be a list");
    assertThat(onlyError(loader().load(write("l.yaml", "- a\n- b\n"))).message())
        .contains("must be a mapping");
    // A group-less targetRef defaults to gateway.networking.k8s.io; kubectl metadata is accepted.
    LoadResult r =
        loader()
            .load(
                write(
                    "d.yaml",
                    good.replace("group: gateway.networking.k8s.io, ", "")
                            .replace("  name: ok\n", "  name: ok\n  uid: abc\n  labels: {a: b}\n")
                        + "status: {}\n"));
    assertThat(r.errors()).isEmpty();
    assertThat(r.pipeline().steps().get(0).target().group()).isEqualTo("gateway.networking.k8s.io");
  }

  @Test
  void collectsAllErrorsAcrossDocumentsAndFiles() throws Exception {
    write(
        "a.yaml",
        doc("one", "Gateway", "PreRouting", inProcess("Bad"))
            + "---\n"
            + doc(
                "two",
                "Gateway",
                "PostRouting",
                "    - {name: x, type: InProcess, timeout: 1ms, inProcess: {request: {setHeader:"
                    + " []}}}\n"));
    write("b.yml", "kind: [unclosed\n");
    LoadResult r = loader().load(dir);
    assertThat(r.pipeline()).isNull();
    assertThat(r.unreadable()).isFalse();
    assertThat(r.errors())
        .extracting(e -> e.documentIndex() + ":" + e.field())
        .contains(
            "1:spec.processors[0].name",
            "2:spec.processors[0].timeout",
            "2:spec.processors[0].inProcess.request.setHeader");
    assertThat(r.errors().get(r.errors().size() - 1).toString())
        .contains("b.yml:2: document 1: YAML syntax error: ");
  }

  @Test
  void orderingByPhaseTargetTimestampThenLoadOrder() throws Exception {
    write(
        "10-route.yaml", doc("route", "HTTPRoute", "r1", "PostRouting", null, inProcess("route")));
    write(
        "20-post-gw.yaml",
        doc(
                "post-new",
                "Gateway",
                "gw-b",
                "PostRouting",
                "2025-02-01T00:00:00Z",
                inProcess("post-new"))
            + "---\n"
            + doc(
                "post-old",
                "Gateway",
                "gw-c",
                "PostRouting",
                "2025-01-01T00:00:00Z",
                inProcess("post-old"))
            + "---\n"
            + doc("post-none", "Gateway", "gw-d", "PostRouting", null, inProcess("post-none")));
    write("30-pre.yaml", doc("pre", "Gateway", "gw-a", "PreRouting", null, inProcess("pre")));
    write(".hidden.yaml", "not: a document\n");
    write("notes.txt", "ignored\n");
    LoadResult r = loader().load(dir);
    assertThat(r.errors()).isEmpty();
    assertThat(r.pipeline().steps())
        .extracting(Step::name)
        .containsExactly("pre", "post-old", "post-new", "post-none", "route");
  }

  @Test
  void directoryFilesLoadInNameOrder() throws Exception {
    write("b.yaml", doc("b", "Gateway", "gw-b", "PreRouting", null, inProcess("from-b")));
    write("a.yml", doc("a", "Gateway", "gw-a", "PreRouting", null, inProcess("from-a")));
    write("c.yaml", doc("c", "Gateway", "gw-c", "PreRouting", null, inProcess("from-c")));
    assertThat(loader().load(dir).pipeline().steps())
        .extracting(Step::name)
        .containsExactly("from-a", "from-b", "from-c");
  }

  @Test
  void duplicateTargetOlderWinsNewerIsAWarning() throws Exception {
    Path file =
        write(
            "dup.yaml",
            doc("newer", "Gateway", "gw", "PreRouting", "2025-03-01T00:00:00Z", inProcess("n"))
                + "---\n"
                + doc(
                    "older", "Gateway", "gw", "PreRouting", "2025-01-01T00:00:00Z", inProcess("o"))
                + "---\n"
                + doc("other-phase", "Gateway", "gw", "PostRouting", null, inProcess("p")));
    LoadResult r = loader().load(file);
    assertThat(r.errors()).isEmpty();
    assertThat(r.pipeline().steps()).extracting(Step::name).containsExactly("o", "p");
    assertThat(r.documents()).isEqualTo(2);
    assertThat(r.warnings()).hasSize(1);
    assertThat(r.warnings().get(0))
        .contains("dup.yaml: document 1 (newer): ignored")
        .contains("document 2 (older)");
  }

  @Test
  void duplicateTargetWithoutTimestampsFirstLoadedWins() throws Exception {
    write("a.yaml", doc("first", "HTTPRoute", "r", "PostRouting", null, inProcess("first")));
    write("b.yaml", doc("second", "HTTPRoute", "r", "PostRouting", null, inProcess("second")));
    LoadResult r = loader().load(dir);
    assertThat(r.pipeline().steps()).extracting(Step::name).containsExactly("first");
    assertThat(r.warnings()).singleElement().asString().contains("b.yaml: document 1 (second)");
  }

  @Test
  void ignoredDocumentsAndFailedLoadsCloseWhatTheyBuilt() throws Exception {
    String guard =
        "    - {name: g, type: payload-processor.io/Module, module: {id: test-guard, config:"
            + " {threshold: 0.1}}}\n";
    write("a.yaml", doc("a", "Gateway", "gw", "PreRouting", null, guard));
    write("b.yaml", doc("b", "Gateway", "gw", "PreRouting", null, guard));
    LoadResult r = loader().load(dir);
    assertThat(module.closed).hasValue(1); // b ignored
    r.pipeline().close();
    assertThat(module.closed).hasValue(2);

    write("c.yaml", doc("c", "Gateway", "gw2", "PreRouting", null, inProcess("BAD")));
    assertThat(loader().load(dir).ok()).isFalse();
    assertThat(module.closed).hasValue(4); // a and b both closed after the failed load
  }

  @Test
  void unreadableSources() throws Exception {
    LoadResult missing = loader().load(dir.resolve("nope.yaml"));
    assertThat(missing.unreadable()).isTrue();
    assertThat(onlyError(missing).toString()).contains("nope.yaml: cannot read");
    Path empty = Files.createDirectory(dir.resolve("empty"));
    assertThat(loader().load(empty).unreadable()).isTrue();
    LoadResult blank = loader().load(write("blank.yaml", "# nothing\n"));
    assertThat(onlyError(blank).message()).contains("no PayloadProcessor documents");
  }

  @Test
  void loadDocumentsFromAConformanceCase() throws Exception {
    List<JsonNode> docs =
        PipelineLoader.parseYaml(
            doc("route-by-model", "Gateway", "PreRouting", inProcess("extract-model"))
                + "---\n"
                + doc("broken", "Gateway", "gw-2", "PreRouting", null, inProcess("x"))
                    .replace("phase: PreRouting", "phase: Later"));
    LoadResult r = loader().loadDocuments("cases/bbr.yaml", docs);
    ConfigError e = onlyError(r);
    assertThat(e.toString()).startsWith("cases/bbr.yaml: document 2 (broken): spec.phase: ");
    LoadResult ok = loader().loadDocuments("cases/bbr.yaml", docs.subList(0, 1));
    assertThat(ok.pipeline().steps()).extracting(Step::name).containsExactly("extract-model");
    assertThat(loader().loadDocuments("cases/none.yaml", List.of()).pipeline().steps()).isEmpty();
  }

  @Test
  void duplicateYamlKeysAreErrors() throws Exception {
    LoadResult r =
        loader()
            .load(
                write(
                    "dupkey.yaml",
                    doc("a", "Gateway", "PreRouting", inProcess("a"))
                        + "kind: PayloadProcessor\n"));
    assertThat(onlyError(r).message()).contains("YAML").contains("kind");
  }
}
