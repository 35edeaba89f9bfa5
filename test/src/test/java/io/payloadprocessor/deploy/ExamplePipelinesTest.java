package io.payloadprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.payloadprocessor.server.config.LoadResult;
import io.payloadprocessor.server.config.PipelineLoader;
import io.payloadprocessor.server.config.ProcessorBuilders;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every pipeline we tell users to copy is accepted by the loader `validate` and `serve` use: the
 * files under deploy/pipelines and each PayloadProcessor YAML block in docs/*.md.
 */
class ExamplePipelinesTest {
  private static final Pattern YAML_BLOCK = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL);

  private static Path root() {
    Path base = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
    return Files.isDirectory(base.resolve("../deploy")) ? base.resolve("..").normalize() : base;
  }

  private static LoadResult load(String source, String yaml) throws Exception {
    PipelineLoader loader =
        new PipelineLoader(ProcessorBuilders.validationOnly(), new PrometheusRegistry(), Map.of());
    return loader.loadDocuments(source, root(), PipelineLoader.parseYaml(yaml));
  }

  @Test
  void deployPipelinesValidate() throws Exception {
    Path dir = root().resolve("deploy/pipelines");
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
    assertThat(files).isNotEmpty();
    for (Path f : files) {
      LoadResult r =
          new PipelineLoader(ProcessorBuilders.validationOnly(), new PrometheusRegistry(), Map.of())
              .load(f);
      assertThat(r.errors()).as(f.toString()).isEmpty();
    }
    LoadResult all =
        new PipelineLoader(ProcessorBuilders.validationOnly(), new PrometheusRegistry(), Map.of())
            .load(dir.resolve("all-modules.yaml"));
    List<String> types = new ArrayList<>();
    all.pipeline().steps().forEach(s -> types.add(s.type()));
    assertThat(all.processors()).isEqualTo(8);
  }

  @Test
  void documentedExamplesValidate() throws Exception {
    int checked = 0;
    for (String doc : List.of("docs/modules.md", "docs/pipeline.md", "docs/cel.md")) {
      String text = Files.readString(root().resolve(doc));
      Matcher m = YAML_BLOCK.matcher(text);
      while (m.find()) {
        String yaml = m.group(1);
        if (!yaml.contains("kind: PayloadProcessor")) {
          continue; // fragments, not whole documents
        }
        LoadResult r = load(doc, yaml);
        assertThat(r.errors()).as(doc + ":\n" + yaml).isEmpty();
        checked++;
      }
    }
    assertThat(checked).as("whole documents checked").isGreaterThanOrEqualTo(9);
  }
}
