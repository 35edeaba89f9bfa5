package io.payloadprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.payloadprocessor.server.config.LoadResult;
import io.payloadprocessor.server.config.PipelineLoader;
import io.payloadprocessor.server.config.ProcessorBuilders;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The PayloadProcessor CRD and the loader agree: every value the CRD's enums allow loads, the CRD's
 * limits are the loader's, and what the CRD's name patterns refuse the loader refuses too.
 */
class CrdTest {
  private static JsonNode spec;
  private static JsonNode processor;

  @BeforeAll
  static void read() throws Exception {
    JsonNode crd =
        new YAMLMapper()
            .readTree(
                EnvoyConfigTest.repoRoot()
                    .resolve("deploy/kubernetes/payloadprocessor-crd.yaml")
                    .toFile());
    assertThat(crd.path("spec").path("group").asText()).isEqualTo("ainetworking.x-k8s.io");
    assertThat(crd.at("/spec/names/kind").asText()).isEqualTo("PayloadProcessor");
    JsonNode version = crd.at("/spec/versions/0");
    assertThat(version.path("name").asText()).isEqualTo("v0alpha0");
    spec = version.at("/schema/openAPIV3Schema/properties/spec");
    processor = spec.at("/properties/processors/items");
  }

  private static LoadResult load(String kind, String phase, String processors) throws Exception {
    String yaml =
        "apiVersion: ainetworking.x-k8s.io/v0alpha0\nkind: PayloadProcessor\n"
            + "metadata: {name: crd-check}\nspec:\n"
            + "  targetRef: {group: gateway.networking.k8s.io, kind: "
            + kind
            + ", name: t}\n  phase: "
            + phase
            + "\n  processors:\n"
            + processors;
    return new PipelineLoader(
            ProcessorBuilders.validationOnly(), new PrometheusRegistry(), Map.of())
        .loadDocuments("crd", PipelineLoader.parseYaml(yaml));
  }

  private static String inProcess(String name, String extra) {
    return "    - {name: "
        + name
        + ", type: InProcess"
        + extra
        + ", inProcess: {request: {removeHeaders: [x-a]}}}\n";
  }

  private static List<String> enumOf(JsonNode schema) {
    List<String> values = new ArrayList<>();
    schema.path("enum").forEach(v -> values.add(v.asText()));
    return values;
  }

  @Test
  void everyEnumValueOfTheCrdLoads() throws Exception {
    for (String kind : enumOf(spec.at("/properties/targetRef/properties/kind"))) {
      assertThat(load(kind, "PostRouting", inProcess("a", "")).errors()).as(kind).isEmpty();
    }
    for (String phase : enumOf(spec.at("/properties/phase"))) {
      assertThat(load("Gateway", phase, inProcess("a", "")).errors()).as(phase).isEmpty();
    }
    for (String mode : enumOf(processor.at("/properties/failureMode"))) {
      assertThat(load("Gateway", "PostRouting", inProcess("a", ", failureMode: " + mode)).errors())
          .isEmpty();
    }
    assertThat(enumOf(processor.at("/properties/type")))
        .containsExactlyInAnyOrder("InProcess", "ExtProcess", "payload-processor.io/Module");
    assertThat(load("Gateway", "PostRouting", inProcess("a", ", failureMode: Sometimes")).ok())
        .isFalse();
  }

  @Test
  void limitsAndRulesMatchTheLoader() throws Exception {
    int max = spec.at("/properties/processors/maxItems").asInt();
    assertThat(spec.at("/properties/processors/minItems").asInt()).isEqualTo(1);
    StringBuilder many = new StringBuilder();
    for (int i = 0; i <= max; i++) {
      many.append(inProcess("p" + i, ""));
    }
    assertThat(load("Gateway", "PostRouting", many.toString()).errors())
        .extracting(e -> e.field())
        .containsExactly("spec.processors");
    assertThat(spec.at("/x-kubernetes-validations/0/rule").asText()).contains("PreRouting");
    assertThat(load("HTTPRoute", "PreRouting", inProcess("a", "")).errors())
        .extracting(e -> e.field())
        .containsExactly("spec.phase");
    assertThat(processor.path("x-kubernetes-validations").toString())
        .contains("duration('10ms')")
        .contains("exactly one of inProcess, extProcess, module");
    assertThat(load("Gateway", "PostRouting", inProcess("a", ", timeout: 5ms")).ok()).isFalse();
    assertThat(spec.at("/properties/processors/x-kubernetes-list-map-keys/0").asText())
        .isEqualTo("name");
    assertThat(load("Gateway", "PostRouting", inProcess("a", "") + inProcess("a", "")).ok())
        .as("names are unique, as the CRD's list map says")
        .isFalse();
  }

  @Test
  void processorNamePatternAgreesWithTheLoader() throws Exception {
    Pattern crdName = Pattern.compile(processor.at("/properties/name/pattern").asText());
    for (String name : List.of("ok", "a-b-1", "Upper", "-lead", "trail-", "under_score", "x.y")) {
      boolean crd = crdName.matcher(name).matches();
      boolean loader = load("Gateway", "PostRouting", inProcess("'" + name + "'", "")).ok();
      assertThat(loader).as(name).isEqualTo(crd);
    }
  }
}
