package io.payloadprocessor.server.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.config.LoadResult;
import io.payloadprocessor.server.config.PipelineLoader;
import io.payloadprocessor.server.extprocess.BackendChannels;
import io.payloadprocessor.server.extprocess.ExtProcessBuilders;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Pipelines and JSONL helpers shared by the batch tests. */
final class BatchTestSupport {
  private BatchTestSupport() {}

  static final String HEADER =
      """
      apiVersion: ainetworking.x-k8s.io/v0alpha0
      kind: PayloadProcessor
      metadata: {name: batch-test}
      spec:
        targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: ai-gateway}
        phase: PreRouting
        processors:
      """;

  /**
   * Request pipeline: {@code tier} copies body field {@code tier} to a header and fails (closed)
   * when it is missing; {@code route} rewrites model gpt-4 to gpt-4o and leaves others as they are.
   */
  static final String REQUEST_PIPELINE =
      HEADER
          + "    - name: tier\n"
          + "      type: InProcess\n"
          + "      failureMode: FailClosed\n"
          + "      inProcess:\n"
          + "        request:\n"
          + "          setHeaders: [{name: x-tier, value: 'json(request.body).tier'}]\n"
          + "    - name: route\n"
          + "      type: InProcess\n"
          + "      inProcess:\n"
          + "        request:\n"
          + "          setBodyFields:\n"
          + "            - path: $.model\n"
          + "              value: \"json(request.body).model == 'gpt-4' ? 'gpt-4o' :"
          + " json(request.body).model\"\n";

  /**
   * Response pipeline: {@code strip} removes {@code system_fingerprint}; {@code usage} copies the
   * token count to a header and fails (closed) when there is no usage.
   */
  static final String RESPONSE_PIPELINE =
      HEADER
          + "    - name: strip\n"
          + "      type: InProcess\n"
          + "      inProcess:\n"
          + "        response:\n"
          + "          removeBodyFields: [$.system_fingerprint]\n"
          + "    - name: usage\n"
          + "      type: InProcess\n"
          + "      failureMode: FailClosed\n"
          + "      inProcess:\n"
          + "        response:\n"
          + "          setHeaders:\n"
          + "            - name: x-tokens\n"
          + "              value: 'string(json(response.body).usage.total_tokens)'\n";

  static final String PII_PIPELINE =
      HEADER
          + "    - name: pii\n"
          + "      type: payload-processor.io/Module\n"
          + "      module: {id: pii, config: {detectors: [{type: email, action: mask}]}}\n";

  static Path write(Path dir, String name, String content) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, content, StandardCharsets.UTF_8);
    return p;
  }

  static Pipeline load(Path dir, String yaml) throws IOException {
    Path p = write(dir, "pipeline.yaml", yaml);
    LoadResult r =
        new PipelineLoader(
                new ExtProcessBuilders(new BackendChannels(Map.of())),
                new PrometheusRegistry(),
                Map.of())
            .load(p);
    assertThat(r.errors()).isEmpty();
    return r.pipeline();
  }

  /** A batch input line. */
  static String requestLine(String customId, String body) {
    return "{\"custom_id\":\""
        + customId
        + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":"
        + body
        + "}";
  }

  static List<JsonNode> readJsonl(Path p) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(p, StandardCharsets.UTF_8)) {
      out.add(HttpMessage.JSON.readTree(line));
    }
    return out;
  }
}
