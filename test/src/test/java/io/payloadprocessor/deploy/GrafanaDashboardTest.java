package io.payloadprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.payloadprocessor.envoysim.EnvoyFilterConfig;
import io.payloadprocessor.envoysim.EnvoySim;
import io.payloadprocessor.envoysim.HttpRequest;
import io.payloadprocessor.envoysim.Upstream;
import io.payloadprocessor.envoysim.UpstreamResponse;
import io.payloadprocessor.server.PayloadProcessorServer;
import io.payloadprocessor.server.ServerMetrics;
import io.payloadprocessor.server.admin.AdminServer;
import io.payloadprocessor.server.config.ConfigWatcher;
import io.payloadprocessor.server.config.PipelineLoader;
import io.payloadprocessor.server.config.ProcessorBuilders;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every query of the Grafana dashboard in deploy/grafana names metrics the server exports: a real
 * server (JVM metrics, config watcher, the modules that export metrics) serves traffic that
 * exercises each of them, its admin port is scraped over HTTP, and every metric name in every
 * panel's expression must be among the scraped sample names.
 */
class GrafanaDashboardTest {
  private static final Pattern METRIC =
      Pattern.compile("\\b((?:payload_processor|jvm|process)_[a-zA-Z0-9_]+)\\b");

  private static final String PIPELINE =
      """
      apiVersion: ainetworking.x-k8s.io/v0alpha0
      kind: PayloadProcessor
      metadata: {name: observed}
      spec:
        targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: gw}
        phase: PreRouting
        processors:
          - name: model
            type: InProcess
            inProcess: {request: {setHeaders: [{name: X-Model, value: json(request.body).model}]}}
          - name: guard
            type: payload-processor.io/Module
            module: {id: pii, config: {detectors: [{type: payment_card, action: block}]}}
          - name: cache
            type: payload-processor.io/Module
            module: {id: semantic-cache, config: {mode: exact, store: {type: memory}}}
          - name: meter
            type: payload-processor.io/Module
            module: {id: usage-metering, config: {}}
      """;

  @Test
  void everyDashboardQueryNamesAnExportedMetric(@TempDir Path dir) throws Exception {
    JsonNode dashboard =
        new ObjectMapper()
            .readTree(
                EnvoyConfigTest.repoRoot()
                    .resolve("deploy/grafana/payload-processor-dashboard.json")
                    .toFile());
    Set<String> queried = new TreeSet<>();
    int panels = 0;
    for (JsonNode panel : dashboard.path("panels")) {
      panels++;
      assertThat(panel.path("targets")).as(panel.path("title").asText()).isNotEmpty();
      for (JsonNode target : panel.path("targets")) {
        Matcher m = METRIC.matcher(target.path("expr").asText());
        while (m.find()) {
          queried.add(m.group(1));
        }
      }
    }
    assertThat(panels).isGreaterThanOrEqualTo(10);

    Set<String> exported = scrapeAfterTraffic(dir);

    assertThat(exported).as("scraped sample names").containsAll(queried);
  }

  private static Set<String> scrapeAfterTraffic(Path dir) throws Exception {
    Path config = Files.writeString(dir.resolve("pipeline.yaml"), PIPELINE);
    PrometheusRegistry registry = new PrometheusRegistry();
    ServerMetrics.registerJvmMetrics(registry);
    PipelineLoader loader =
        new PipelineLoader(ProcessorBuilders.validationOnly(), registry, Map.of());
    AtomicReference<Pipeline> current = new AtomicReference<>();
    try (ConfigWatcher watcher = new ConfigWatcher(config, loader, current, registry)) {
      assertThat(watcher.loadInitial().errors()).isEmpty();
      PayloadProcessorServer server =
          PayloadProcessorServer.builder()
              .port(0)
              .pipeline(current::get)
              .registry(registry)
              .maxBodyBytes(4096)
              .warmupExchanges(0)
              .build()
              .start();
      ManagedChannel ch =
          NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      try (AdminServer admin = new AdminServer("127.0.0.1", 0, registry, server::isReady)) {
        EnvoySim buffered = new EnvoySim(ch, mode(BodySendMode.BUFFERED));
        Upstream withUsage =
            Upstream.fixed(
                UpstreamResponse.builder()
                    .header(":status", "200")
                    .header("content-type", "application/json")
                    .body(
                        "{\"id\":\"x\",\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":"
                            + "{\"role\":\"assistant\",\"content\":\"hello\"},\"finish_reason\":"
                            + "\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,"
                            + "\"total_tokens\":7}}")
                    .build());
        String hi = "{\"model\":\"gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        buffered.exchange(chat(hi), withUsage); // cache miss, tokens counted
        buffered.exchange(chat(hi), withUsage); // cache hit
        buffered.exchange(chat(hi.replace("hi", "card 4111111111111111")), withUsage); // rejected
        buffered.exchange(chat("{\"model\":\"" + "x".repeat(5000) + "\"}"), withUsage); // too large
        // STREAMED: the header change cannot apply and is counted as dropped.
        new EnvoySim(ch, mode(BodySendMode.STREAMED))
            .exchange(chat(hi.replace("hi", "other")), withUsage);

        HttpResponse<String> scrape =
            HttpClient.newHttpClient()
                .send(
                    java.net.http.HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + admin.port() + "/metrics"))
                        .build(),
                    HttpResponse.BodyHandlers.ofString());
        assertThat(scrape.statusCode()).isEqualTo(200);
        Set<String> names = new TreeSet<>();
        for (String line : scrape.body().split("\n")) {
          if (!line.isEmpty() && !line.startsWith("#")) {
            names.add(line.split("[{ ]", 2)[0]);
          }
        }
        assertThat(scrape.body()).doesNotContain("request_not_set").doesNotContain("REQUEST_");
        return names;
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        server.drainAndStop();
      }
    }
  }

  private static EnvoyFilterConfig mode(BodySendMode body) {
    return EnvoyFilterConfig.builder()
        .processingMode(
            ProcessingMode.newBuilder()
                .setRequestHeaderMode(HeaderSendMode.SEND)
                .setRequestBodyMode(body)
                .setResponseHeaderMode(HeaderSendMode.SEND)
                .setResponseBodyMode(BodySendMode.BUFFERED)
                .build())
        .messageTimeout(Duration.ofSeconds(10))
        .build();
  }

  private static HttpRequest chat(String body) {
    return HttpRequest.builder()
        .header(":path", "/v1/chat/completions")
        .header("content-type", "application/json")
        .body(body)
        .build();
  }
}
