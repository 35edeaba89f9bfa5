package io.payloadprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.server.config.LoadResult;
import io.payloadprocessor.server.config.PipelineLoader;
import io.payloadprocessor.server.config.ProcessorBuilders;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every pipeline we show users loads with the loader {@code validate} and {@code serve} use: each
 * PayloadProcessor document in any file under deploy/ and docs/ (and the README), wherever it is
 * embedded: a YAML file's documents, the items of a {@code kind: List}, the data values of a
 * ConfigMap (as mounted into the sidecar), and {@code yaml} code blocks of Markdown files. The
 * documents of one file, ConfigMap value or code block are loaded together, as {@code serve} would
 * load them, so conflicts between them count too.
 */
class ExamplePipelinesTest {
  private static final Pattern YAML_BLOCK = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL);

  private static Path root() {
    return EnvoyConfigTest.repoRoot();
  }

  /** Source name to the documents found there. */
  static Map<String, List<JsonNode>> embeddedPipelines() throws IOException {
    Map<String, List<JsonNode>> found = new TreeMap<>();
    List<Path> files = new ArrayList<>();
    for (String dir : List.of("deploy", "docs")) {
      try (Stream<Path> s = Files.walk(root().resolve(dir))) {
        s.filter(Files::isRegularFile).forEach(files::add);
      }
    }
    files.add(root().resolve("README.md"));
    for (Path f : files) {
      String name = root().relativize(f).toString();
      String text = Files.readString(f);
      if (name.endsWith(".md")) {
        Matcher m = YAML_BLOCK.matcher(text);
        for (int block = 1; m.find(); block++) {
          collect(name + " (yaml block " + block + ")", m.group(1), found);
        }
      } else if (name.endsWith(".yaml") || name.endsWith(".yml")) {
        collect(name, text, found);
      }
    }
    return found;
  }

  private static void collect(String source, String yaml, Map<String, List<JsonNode>> found)
      throws IOException {
    if (!yaml.contains("PayloadProcessor")) {
      return;
    }
    List<JsonNode> pipeline = new ArrayList<>();
    for (JsonNode doc : PipelineLoader.parseYaml(yaml)) {
      String kind = doc.path("kind").asText();
      if (kind.equals("PayloadProcessor") || kind.equals("List")) {
        pipeline.add(doc);
      } else if (kind.equals("ConfigMap")) {
        var fields = doc.path("data").properties().iterator();
        while (fields.hasNext()) {
          var e = fields.next();
          collect(source + " ConfigMap data." + e.getKey(), e.getValue().asText(), found);
        }
      }
    }
    if (!pipeline.isEmpty()) {
      found.put(source, pipeline);
    }
  }

  @Test
  void everyEmbeddedPipelineLoads() throws Exception {
    Map<String, List<JsonNode>> pipelines = embeddedPipelines();
    int documents = 0;
    for (Map.Entry<String, List<JsonNode>> e : pipelines.entrySet()) {
      PipelineLoader loader =
          new PipelineLoader(
              ProcessorBuilders.validationOnly(), new PrometheusRegistry(), Map.of());
      LoadResult r = loader.loadDocuments(e.getKey(), root(), e.getValue());
      assertThat(r.errors()).as(e.getKey()).isEmpty();
      assertThat(r.warnings()).as(e.getKey()).isEmpty();
      documents += r.documents();
      r.pipeline().close();
    }
    assertThat(pipelines.keySet())
        .as("the places users copy pipelines from")
        .anyMatch(k -> k.startsWith("deploy/kubernetes/sidecar.yaml ConfigMap data.pipeline.yaml"))
        .anyMatch(k -> k.startsWith("deploy/pipelines/all-modules.yaml"))
        .anyMatch(k -> k.startsWith("docs/modules.md"))
        .anyMatch(k -> k.startsWith("docs/pipeline.md"));
    assertThat(documents).isGreaterThanOrEqualTo(12);
  }

  @Test
  void allModulesUsesEveryModule() throws Exception {
    LoadResult all =
        new PipelineLoader(ProcessorBuilders.validationOnly(), new PrometheusRegistry(), Map.of())
            .load(root().resolve("deploy/pipelines/all-modules.yaml"));
    assertThat(all.errors()).isEmpty();
    assertThat(all.processors()).isEqualTo(8);
  }

  @Test
  void aBrokenEmbeddedPipelineIsFound() throws Exception {
    Map<String, List<JsonNode>> found = new TreeMap<>();
    collect(
        "inline",
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: x}
        data:
          p.yaml: |
            apiVersion: ainetworking.x-k8s.io/v0alpha0
            kind: PayloadProcessor
            metadata: {name: p}
            spec:
              targetRef: {kind: HTTPRoute, name: r}
              phase: PreRouting
              processors: [{name: a, type: InProcess, inProcess: {}}]
        """,
        found);
    assertThat(found).containsOnlyKeys("inline ConfigMap data.p.yaml");
    LoadResult r =
        new PipelineLoader(ProcessorBuilders.validationOnly(), new PrometheusRegistry(), Map.of())
            .loadDocuments("inline", root(), found.get("inline ConfigMap data.p.yaml"));
    assertThat(r.errors()).extracting(e -> e.field()).contains("spec.phase");
  }
}
