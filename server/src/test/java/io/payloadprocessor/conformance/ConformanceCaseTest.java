package io.payloadprocessor.conformance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.server.config.PipelineLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The case format's checks and their messages (a case author reads them). */
class ConformanceCaseTest {
  private static final String PIPELINE = "pipeline: []\n";
  private static final String VALID =
      "name: a-case\ntier: Core\n" + PIPELINE + "request: {}\nexpect: {configRejected: false}\n";

  private static List<ConformanceCase> parse(String yaml) throws Exception {
    JsonNode doc = PipelineLoader.parseYaml(yaml).get(0);
    return ConformanceCase.parseAll(doc, Path.of("case.yaml"));
  }

  @Test
  void aFullCaseBinds() throws Exception {
    ConformanceCase c =
        parse(
                """
                name: full-case
                tier: Implementation
                description: every field
                pipeline: [{kind: PayloadProcessor}]
                envoy:
                  processingMode: {requestBodyMode: STREAMED}
                  messageTimeout: 1s
                request:
                  headers: {":path": /x, x-multi: [a, b]}
                  body: hello
                  chunks: [1, 3]
                  trailers: {t: v}
                response:
                  body: !!binary aGk=
                backends:
                  slow: {fault: {delay: 3s}}
                expect:
                  upstreamRequest:
                    reached: true
                    headers: {x-a: "1"}
                    absentHeaders: [x-b]
                    body: {json: {model: m}, jsonPath: {"$.a": 1}}
                  clientResponse:
                    status: 4xx
                    maxMillis: 1500
                    body: {contains: x, notContains: y, equals: z}
                  dynamicMetadata: {ns: {k: v}}
                  absentDynamicMetadata: {ns: [a.b]}
                """)
            .get(0);
    assertThat(c.name()).isEqualTo("full-case");
    assertThat(c.tier()).isEqualTo("Implementation");
    assertThat(c.description()).isEqualTo("every field");
    assertThat(c.pipeline().size()).isEqualTo(1);
    assertThat(c.envoy().path("messageTimeout").asText()).isEqualTo("1s");
    assertThat(c.request().headers())
        .containsExactly(
            Map.entry(":path", "/x"), Map.entry("x-multi", "a"), Map.entry("x-multi", "b"));
    assertThat(new String(c.request().body(), StandardCharsets.UTF_8)).isEqualTo("hello");
    assertThat(c.request().chunks()).containsExactly(1, 3);
    assertThat(c.request().trailers()).containsEntry("t", "v");
    assertThat(new String(c.response().body(), StandardCharsets.UTF_8)).isEqualTo("hi");
    assertThat(c.response().trailers()).isNull();
    assertThat(c.backends()).containsOnlyKeys("slow");
    assertThat(c.expect().upstreamRequest().reached()).isTrue();
    assertThat(c.expect().upstreamRequest().headers()).containsEntry("x-a", "1");
    assertThat(c.expect().upstreamRequest().absentHeaders()).containsExactly("x-b");
    assertThat(c.expect().upstreamRequest().body().json().path("model").asText()).isEqualTo("m");
    assertThat(c.expect().upstreamRequest().body().jsonPath()).containsOnlyKeys("$.a");
    assertThat(c.expect().clientResponse().status()).isEqualTo("4xx");
    assertThat(c.expect().clientResponse().maxMillis()).isEqualTo(1500L);
    assertThat(c.expect().clientResponse().body().equals()).isEqualTo("z");
    assertThat(c.expect().clientResponse().body().contains()).isEqualTo("x");
    assertThat(c.expect().clientResponse().body().notContains()).isEqualTo("y");
    assertThat(c.expect().dynamicMetadata()).containsOnlyKeys("ns");
    assertThat(c.expect().absentDynamicMetadata()).containsEntry("ns", List.of("a.b"));
    assertThat(c.expect().configRejected()).isFalse();
  }

  @Test
  void defaultsOfOptionalParts() throws Exception {
    ConformanceCase c = parse(VALID).get(0);
    assertThat(c.description()).isEmpty();
    assertThat(c.envoy()).isNull();
    assertThat(c.response()).isNull();
    assertThat(c.backends()).isEmpty();
    assertThat(c.request().headers()).isEmpty();
    assertThat(c.request().body()).isNull();
    assertThat(c.request().chunks()).isNull();
    assertThat(c.expect().upstreamRequest()).isNull();
    assertThat(c.expect().clientResponse()).isNull();
    assertThat(c.expect().dynamicMetadata()).isEmpty();
    assertThat(parse("cases: [" + flow(VALID) + ", " + flow(VALID) + "]")).hasSize(2);
  }

  /** The one-line flow form of a block mapping of scalars and flow values. */
  private static String flow(String block) {
    return "{" + String.join(", ", block.strip().split("\n")) + "}";
  }

  @ParameterizedTest(name = "{1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "`[]` | a case file must be a mapping",
        "`{cases: [], x: 1}` | a file with 'cases:' must have nothing else at top level",
        "`{cases: {}}` | cases: must be a list",
        "`{cases: [{name: a, tier: Core, pipeline: [], expect: {}, extra: 1}]}`"
            + " | cases[0]: extra: unknown field (this runner implements conformance case format v1)",
        "`{tier: Core, pipeline: [], expect: {}}` | name: required string",
        "`{name: 7, tier: Core, pipeline: [], expect: {}}` | name: required string",
        "`{name: Bad_Name, tier: Core, pipeline: [], expect: {}}`"
            + " | name: must match [a-z0-9-]+, got 'Bad_Name'",
        "`{name: a, pipeline: [], expect: {}}` | tier: required string",
        "`{name: a, tier: Gold, pipeline: [], expect: {}}`"
            + " | tier: must be Core, Extended or Implementation",
        "`{name: a, tier: Core, expect: {}}`"
            + " | pipeline: required, a list of PayloadProcessor documents",
        "`{name: a, tier: Core, pipeline: {}, expect: {}}`"
            + " | pipeline: required, a list of PayloadProcessor documents",
        "`{name: a, tier: Core, pipeline: [], envoy: [], expect: {}}` | envoy: must be a mapping",
        "`{name: a, tier: Core, pipeline: [], envoy: {mode: 1}, expect: {}}`"
            + " | envoy.mode: unknown field (this runner implements conformance case format v1)",
        "`{name: a, tier: Core, pipeline: [], envoy: {processingMode: {x: 1}}, expect: {}}`"
            + " | envoy.processingMode.x: unknown field (this runner implements conformance case"
            + " format v1)",
        "`{name: a, tier: Core, pipeline: []}` | expect: required",
        "`{name: a, tier: Core, pipeline: [], expect: 1}` | expect: must be a mapping",
        "`{name: a, tier: Core, pipeline: [], expect: {}}`"
            + " | request: required unless expect.configRejected is true",
        "`{name: a, tier: Core, pipeline: [], expect: {configRejected: yes}}`"
            + " | expect.configRejected: must be true or false",
        "`{name: a, tier: Core, pipeline: [], expect: {upstreamRequest: {reached: 1}}}`"
            + " | expect.upstreamRequest.reached: must be true or false",
        "`{name: a, tier: Core, pipeline: [], expect: {upstreamRequest: {headers: []}}}`"
            + " | expect.upstreamRequest.headers: must be a mapping",
        "`{name: a, tier: Core, pipeline: [], expect: {upstreamRequest: {headers: {a: {}}}}}`"
            + " | expect.upstreamRequest.headers.a: must be a string",
        "`{name: a, tier: Core, pipeline: [], expect: {upstreamRequest: {absentHeaders: x}}}`"
            + " | expect.upstreamRequest.absentHeaders: must be a list",
        "`{name: a, tier: Core, pipeline: [], expect: {upstreamRequest: {body: {regex: x}}}}`"
            + " | expect.upstreamRequest.body.regex: unknown field (this runner implements"
            + " conformance case format v1)",
        "`{name: a, tier: Core, pipeline: [], expect: {clientResponse: {body: {jsonPath: []}}}}`"
            + " | expect.clientResponse.body.jsonPath: must map JSONPath to value",
        "`{name: a, tier: Core, pipeline: [], expect: {clientResponse: {status: 2x}}}`"
            + " | expect.clientResponse.status: an exact code or a class like 4xx, got 2x",
        "`{name: a, tier: Core, pipeline: [], expect: {clientResponse: {stat: 200}}}`"
            + " | expect.clientResponse.stat: unknown field (this runner implements conformance"
            + " case format v1)",
        "`{name: a, tier: Core, pipeline: [], expect: {dynamicMetadata: []}}`"
            + " | expect.dynamicMetadata: must be a mapping",
        "`{name: a, tier: Core, pipeline: [], expect: {absentDynamicMetadata: []}}`"
            + " | expect.absentDynamicMetadata: must be a mapping",
        "`{name: a, tier: Core, pipeline: [], expect: {absentDynamicMetadata: {ns: x}}}`"
            + " | expect.absentDynamicMetadata.ns: must be a list",
        "`{name: a, tier: Core, pipeline: [], request: [], expect: {}}`"
            + " | request: must be a mapping",
        "`{name: a, tier: Core, pipeline: [], request: {headers: []}, expect: {}}`"
            + " | request.headers: must be a mapping",
        "`{name: a, tier: Core, pipeline: [], request: {chunks: 3}, expect: {}}`"
            + " | request.chunks: must be a list of byte offsets",
        "`{name: a, tier: Core, pipeline: [], request: {chunks: [x]}, expect: {}}`"
            + " | request.chunks[0]: must be an integer",
        "`{name: a, tier: Core, pipeline: [], request: {trailers: [1]}, expect: {}}`"
            + " | request.trailers: must be a mapping",
        "`{name: a, tier: Core, pipeline: [], request: {body: {a: 1}}, expect: {}}`"
            + " | request.body: must be a string (use a YAML block scalar) or !!binary",
        "`{name: a, tier: Core, pipeline: [], request: {}, response: {status: 200}, expect: {}}`"
            + " | response.status: unknown field (this runner implements conformance case"
            + " format v1)",
        "`{name: a, tier: Core, pipeline: [], request: {}, backends: [], expect: {}}`"
            + " | backends: must be a mapping of name to backend",
        "`{name: a, tier: Core, pipeline: [], request: {}, backends: {b: {}}, expect: {}}`"
            + " | backends.b.: exactly one of pipeline or fault",
        "`{name: a, tier: Core, pipeline: [], request: {}, backends: {b: 1}, expect: {}}`"
            + " | backends.b: must be a mapping",
        "`{name: a, tier: Core, pipeline: [], request: {}, backends: {b: {fault: {x: 1}}},"
            + " expect: {}}` | backends.b.fault.x: unknown field (this runner implements"
            + " conformance case format v1)",
      })
  void badCasesSayWhatIsWrong(String yaml, String message) {
    assertThatThrownBy(() -> parse(yaml))
        .isInstanceOf(ConformanceCase.CaseFormatException.class)
        .hasMessage(message);
  }
}
