package io.payloadprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The example document of docs/cel.md is exactly the pipeline its conformance cases run (streaming,
 * non-streaming, upstream error), so the example users copy is the one proven correct.
 */
class CelDocExampleTest {
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final Pattern YAML_BLOCK = Pattern.compile("```yaml\\n(.*?)```", Pattern.DOTALL);

  private static Path root() {
    Path base = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
    return Files.isDirectory(base.resolve("../docs")) ? base.resolve("..").normalize() : base;
  }

  @Test
  void docExampleIsThePipelineOfItsConformanceCases() throws Exception {
    Matcher m = YAML_BLOCK.matcher(Files.readString(root().resolve("docs/cel.md")));
    assertThat(m.find()).isTrue();
    JsonNode example = YAML.readTree(m.group(1));
    assertThat(example.path("kind").asText()).isEqualTo("PayloadProcessor");
    for (String c :
        List.of(
            "cel-doc-example-streaming-request",
            "cel-doc-example-non-streaming-request",
            "cel-doc-example-upstream-error-passes")) {
      JsonNode pipeline =
          YAML.readTree(root().resolve("test/conformance/extended/" + c + ".yaml").toFile())
              .get("pipeline");
      assertThat(pipeline.size()).as(c).isEqualTo(1);
      assertThat(pipeline.get(0)).as(c).isEqualTo(example);
    }
  }
}
