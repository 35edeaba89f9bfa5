package io.payloadprocessor.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.bootstrap.v3.Bootstrap;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExtProcPerRoute;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks every Envoy bootstrap under {@code deploy/envoy} against the Envoy 1.34 API (the {@code
 * io.envoyproxy.controlplane:api:1.0.49} protos): YAML is converted to JSON and parsed with {@link
 * JsonFormat} strictly (no {@code ignoringUnknownFields}), with every {@code typed_config} type
 * registered, so a misspelt field, an unknown enum value or an unregistered {@code @type} fails. No
 * Envoy binary can run here; this is the closest check to {@code envoy --mode validate}. On top of
 * that, the ext_proc settings the sidecar relies on are asserted, and Envoy's own config-time rules
 * for the ext_proc filter (from {@code ext_proc/config.cc}) are re-checked.
 */
class EnvoyConfigTest {
  private static final String EXT_PROC = "envoy.filters.http.ext_proc";
  private static final String ROUTER = "envoy.filters.http.router";
  private static final String HCM = "envoy.filters.network.http_connection_manager";
  private static final String PROTOCOL_OPTIONS =
      "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";
  private static final String RECEIVING_NAMESPACE = "io.payload_processor";
  private static final String ROUTE_METADATA_KEY = "x-payload-processor-route";
  private static final int SIDECAR_BODY_LIMIT = 2 * 1024 * 1024;

  /** Every type that may appear behind an {@code "@type"} in our bootstraps. */
  private static final JsonFormat.TypeRegistry TYPES =
      JsonFormat.TypeRegistry.newBuilder()
          .add(HttpConnectionManager.getDescriptor())
          .add(ExternalProcessor.getDescriptor())
          .add(ExtProcPerRoute.getDescriptor())
          .add(Router.getDescriptor())
          .add(HttpProtocolOptions.getDescriptor())
          .add(StdoutAccessLog.getDescriptor())
          .add(io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimit.getDescriptor())
          .build();

  private static final ObjectMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = new ObjectMapper();

  static Bootstrap parseBootstrap(String yaml) throws IOException {
    JsonNode tree = YAML.readTree(yaml);
    Bootstrap.Builder builder = Bootstrap.newBuilder();
    JsonFormat.parser().usingTypeRegistry(TYPES).merge(JSON.writeValueAsString(tree), builder);
    return builder.build();
  }

  static Path repoRoot() {
    // Surefire runs with the module directory (test/) as basedir; walk up to the reactor root.
    Path dir = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
    for (int i = 0; i < 5 && dir != null; i++, dir = dir.getParent()) {
      if (Files.isDirectory(dir.resolve("deploy/envoy")) && Files.exists(dir.resolve("pom.xml"))) {
        return dir;
      }
    }
    throw new IllegalStateException("repository root with deploy/envoy not found");
  }

  static List<Path> envoyConfigs() throws IOException {
    try (Stream<Path> files = Files.walk(repoRoot().resolve("deploy/envoy"))) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  @Test
  void deployEnvoyHoldsBothVariants() throws IOException {
    assertThat(envoyConfigs())
        .extracting(p -> p.getFileName().toString())
        .contains("envoy.yaml", "envoy-full-duplex.yaml");
  }

  @ParameterizedTest
  @MethodSource("envoyConfigs")
  void parsesStrictlyAndKeepsTheSidecarContract(Path file) throws IOException {
    Bootstrap bootstrap = parseBootstrap(Files.readString(file));

    assertThat(bootstrap.getAdmin().getAddress().getSocketAddress().getAddress())
        .as("admin must stay on loopback")
        .isEqualTo("127.0.0.1");
    Set<String> clusters =
        bootstrap.getStaticResources().getClustersList().stream()
            .map(Cluster::getName)
            .collect(Collectors.toSet());
    assertThat(clusters).contains("payload-processor", "model-server");
    assertSidecarClusterIsHttp2(cluster(bootstrap, "payload-processor"));

    assertThat(bootstrap.getStaticResources().getListenersList()).isNotEmpty();
    for (Listener listener : bootstrap.getStaticResources().getListenersList()) {
      assertThat(listener.getPerConnectionBufferLimitBytes().getValue())
          .as("listener buffer limit equals the sidecar's body limit")
          .isEqualTo(SIDECAR_BODY_LIMIT);
      HttpConnectionManager hcm = connectionManager(listener);
      List<String> filterNames =
          hcm.getHttpFiltersList().stream().map(HttpFilter::getName).toList();
      assertThat(filterNames).contains(EXT_PROC).last().isEqualTo(ROUTER);

      ExternalProcessor extProc =
          unpack(filter(hcm, EXT_PROC).getTypedConfig(), ExternalProcessor.class);
      assertThat(extProc.getGrpcService().getEnvoyGrpc().getClusterName())
          .isEqualTo("payload-processor");
      assertThat(extProc.hasMessageTimeout()).as("message_timeout must be explicit").isTrue();
      assertThat(extProc.getMessageTimeout())
          .isEqualTo(Duration.newBuilder().setSeconds(2).build());
      assertThat(extProc.getFailureModeAllow()).as("fail closed").isFalse();
      assertThat(extProc.getMetadataOptions().getReceivingNamespaces().getUntypedList())
          .contains(RECEIVING_NAMESPACE);
      assertEnvoyAccepts(extProc.getProcessingMode(), extProc.getFailureModeAllow());

      for (VirtualHost vhost : hcm.getRouteConfig().getVirtualHostsList()) {
        for (Route route : vhost.getRoutesList()) {
          assertThat(clusters).contains(route.getRoute().getCluster());
          assertThat(filterNames)
              .as("typed_per_filter_config keys name filters of this chain")
              .containsAll(route.getTypedPerFilterConfigMap().keySet());
          if (route.containsTypedPerFilterConfig(EXT_PROC)) {
            ExtProcPerRoute perRoute =
                unpack(route.getTypedPerFilterConfigOrThrow(EXT_PROC), ExtProcPerRoute.class);
            if (perRoute.getOverrides().hasProcessingMode()) {
              assertEnvoyAccepts(perRoute.getOverrides().getProcessingMode(), false);
            }
          }
        }
      }
    }
  }

  @Test
  void bufferedConfigHasTheRecommendedSettings() throws IOException {
    Bootstrap bootstrap = parseBootstrap(read("envoy.yaml"));
    HttpConnectionManager hcm = connectionManager(bootstrap.getStaticResources().getListeners(0));
    ExternalProcessor extProc =
        unpack(filter(hcm, EXT_PROC).getTypedConfig(), ExternalProcessor.class);
    ProcessingMode mode = extProc.getProcessingMode();

    assertThat(mode.getRequestHeaderMode()).isEqualTo(HeaderSendMode.SEND);
    assertThat(mode.getRequestBodyMode()).isEqualTo(BodySendMode.BUFFERED);
    assertThat(mode.getResponseHeaderMode()).isEqualTo(HeaderSendMode.SEND);
    assertThat(mode.getResponseBodyMode()).isEqualTo(BodySendMode.BUFFERED);
    assertThat(extProc.getAllowModeOverride()).as("needed to switch SSE to STREAMED").isTrue();

    Route messages = route(hcm, "anthropic-messages");
    assertThat(messages.getMatch().getPrefix()).isEqualTo("/v1/messages");
    ExtProcPerRoute perRoute =
        unpack(messages.getTypedPerFilterConfigOrThrow(EXT_PROC), ExtProcPerRoute.class);
    assertThat(perRoute.getOverrides().getGrpcInitialMetadataList())
        .anySatisfy(
            h -> {
              assertThat(h.getKey()).isEqualTo(ROUTE_METADATA_KEY);
              assertThat(h.getValue()).isEqualTo("default/anthropic-route");
            });
    assertThat(perRoute.getOverrides().hasProcessingMode()).isTrue();
    assertThat(hcm.getRouteConfig().getVirtualHosts(0).getRoutesList())
        .as("the /v1/messages route precedes the catch-all")
        .first()
        .isEqualTo(messages);
  }

  /**
   * The token rate limit recipe: the rate limit filter runs after ext_proc (it needs the model
   * header and the usage metadata the sidecar sets), and the default route checks the budget on
   * arrival (hits_addend 0) and spends the sidecar's total_tokens when the stream is done.
   */
  @Test
  void tokenRateLimitIsFedByTheUsageMetadata() throws IOException {
    Bootstrap bootstrap = parseBootstrap(read("envoy-token-ratelimit.yaml"));
    HttpConnectionManager hcm = connectionManager(bootstrap.getStaticResources().getListeners(0));
    List<String> filters = hcm.getHttpFiltersList().stream().map(HttpFilter::getName).toList();
    assertThat(filters.indexOf("envoy.filters.http.ratelimit"))
        .isGreaterThan(filters.indexOf(EXT_PROC));
    var rateLimit =
        unpack(
            filter(hcm, "envoy.filters.http.ratelimit").getTypedConfig(),
            io.envoyproxy.envoy.extensions.filters.http.ratelimit.v3.RateLimit.class);
    assertThat(rateLimit.getRateLimitService().getGrpcService().getEnvoyGrpc().getClusterName())
        .isEqualTo("ratelimit");
    assertThat(bootstrap.getStaticResources().getClustersList())
        .extracting(Cluster::getName)
        .contains("ratelimit");
    var limits = route(hcm, "default").getRoute().getRateLimitsList();
    assertThat(limits).hasSize(2);
    assertThat(limits.get(0).getHitsAddend().getNumber().getValue()).isZero();
    assertThat(limits.get(0).getApplyOnStreamDone()).isFalse();
    assertThat(limits.get(1).getApplyOnStreamDone()).isTrue();
    assertThat(limits.get(1).getHitsAddend().getFormat())
        .isEqualTo("%DYNAMIC_METADATA(" + RECEIVING_NAMESPACE + ":usage:total_tokens)%");
    assertThat(limits.get(1).getActionsList()).isEqualTo(limits.get(0).getActionsList());
    // The domain the rate limit service is configured with.
    JsonNode service = YAML.readTree(repoRoot().resolve("deploy/ratelimit/config.yaml").toFile());
    assertThat(service.path("domain").asText()).isEqualTo(rateLimit.getDomain());
  }

  @Test
  void fullDuplexConfigStreamsRequestBodiesWithTrailers() throws IOException {
    Bootstrap bootstrap = parseBootstrap(read("envoy-full-duplex.yaml"));
    HttpConnectionManager hcm = connectionManager(bootstrap.getStaticResources().getListeners(0));
    ExternalProcessor extProc =
        unpack(filter(hcm, EXT_PROC).getTypedConfig(), ExternalProcessor.class);

    assertThat(extProc.getProcessingMode().getRequestBodyMode())
        .isEqualTo(BodySendMode.FULL_DUPLEX_STREAMED);
    assertThat(extProc.getProcessingMode().getRequestTrailerMode()).isEqualTo(HeaderSendMode.SEND);
    assertThat(extProc.getAllowModeOverride()).isFalse();
  }

  /** Mutations of the real file that Envoy would refuse must fail here too. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "unknown field in a typed_config | message_timeout: 2s | message_timeot: 2s",
        "bad enum value | request_body_mode: BUFFERED | request_body_mode: BUFFERD",
        "unknown top-level field | static_resources: | static_resource:",
        "unregistered @type | v3.Router | v3.Routr",
        "wrong value type | port_value: 9002 | port_value: nine",
      })
  void mutatedRealConfigIsRejected(String what, String from, String to) throws IOException {
    String original = read("envoy.yaml");
    assertThat(original).contains(from);
    String broken = original.replace(from, to);

    assertThatThrownBy(() -> parseBootstrap(broken))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }

  @Test
  void brokenStandaloneYamlIsRejected() {
    String unknownField =
        """
        static_resources:
          listeners:
          - name: l
            per_connection_bufer_limit_bytes: 2097152
        """;
    String badEnum =
        """
        static_resources:
          listeners:
          - name: l
            filter_chains:
            - filters:
              - name: hcm
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                  codec_type: HTTP4
        """;

    assertThatThrownBy(() -> parseBootstrap(unknownField))
        .isInstanceOf(InvalidProtocolBufferException.class)
        .hasMessageContaining("per_connection_bufer_limit_bytes");
    assertThatThrownBy(() -> parseBootstrap(badEnum))
        .isInstanceOf(InvalidProtocolBufferException.class)
        .hasMessageContaining("HTTP4");
  }

  @Test
  void envoyRuleCheckRejectsFullDuplexWithoutTrailers() {
    ProcessingMode noTrailers =
        ProcessingMode.newBuilder().setRequestBodyMode(BodySendMode.FULL_DUPLEX_STREAMED).build();
    ProcessingMode failOpenCandidate =
        noTrailers.toBuilder().setRequestTrailerMode(HeaderSendMode.SEND).build();

    assertThatThrownBy(() -> assertEnvoyAccepts(noTrailers, false))
        .isInstanceOf(AssertionError.class);
    assertThatThrownBy(() -> assertEnvoyAccepts(failOpenCandidate, true))
        .isInstanceOf(AssertionError.class);
  }

  @Test
  void kubernetesSidecarExampleIsValidMultiDocumentYaml() throws IOException {
    Path file = repoRoot().resolve("deploy/kubernetes/sidecar.yaml");
    List<JsonNode> docs = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
      while (it.hasNextValue()) {
        docs.add(it.nextValue());
      }
    }

    assertThat(docs).allSatisfy(d -> assertThat(d.path("kind").asText()).isNotEmpty());
    assertThat(docs).extracting(d -> d.path("kind").asText()).contains("Deployment", "ConfigMap");
    JsonNode deployment =
        docs.stream().filter(d -> "Deployment".equals(d.path("kind").asText())).findFirst().get();
    List<String> images = deployment.findValuesAsText("image");
    assertThat(images).anyMatch(i -> i.startsWith("envoyproxy/envoy:v1.34"));
    JsonNode sidecar = null;
    for (JsonNode c : deployment.path("spec").path("template").path("spec").path("containers")) {
      if (c.path("name").asText().equals("payload-processor")) {
        sidecar = c;
      }
    }
    assertThat(sidecar).as("payload-processor container").isNotNull();
    assertThat(sidecar.path("ports").findValuesAsText("name")).contains("admin");
    assertThat(sidecar.path("ports").toString()).contains("\"admin\"", "9090");
    assertThat(sidecar.path("readinessProbe").path("httpGet").path("path").asText())
        .isEqualTo("/readyz");
    assertThat(sidecar.path("livenessProbe").path("httpGet").path("path").asText())
        .isEqualTo("/healthz");
    assertThat(sidecar.path("startupProbe").path("httpGet").path("path").asText())
        .isEqualTo("/healthz");
    int sidecarStop = sidecar.at("/lifecycle/preStop/sleep/seconds").asInt();
    JsonNode envoy = deployment.at("/spec/template/spec/containers/0");
    assertThat(envoy.path("name").asText()).isEqualTo("envoy");
    int envoyStop = envoy.at("/lifecycle/preStop/sleep/seconds").asInt();
    assertThat(sidecarStop).as("the sidecar outlives Envoy's drain").isGreaterThan(envoyStop);
    assertThat(envoyStop).isPositive();
    assertThat(deployment.at("/spec/template/spec/terminationGracePeriodSeconds").asInt())
        .isGreaterThan(sidecarStop + 20);
    assertThat(sidecar.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(sidecar.path("volumeMounts").findValuesAsText("mountPath"))
        .as("writable /tmp (ONNX Runtime natives) and DJL cache")
        .contains("/tmp", "/var/cache/payload-processor");
    assertThat(sidecar.path("env").toString()).contains("DJL_CACHE_DIR");
    assertThat(sidecar.at("/resources/limits/memory").asText()).isNotEmpty();
    assertThat(sidecar.at("/resources/requests/cpu").asText()).isNotEmpty();
  }

  /**
   * Envoy's config-time checks for the ext_proc filter ({@code verifyProcessingModeConfig}): a
   * FULL_DUPLEX_STREAMED body needs that direction's trailer mode SEND, and forbids fail-open.
   */
  private static void assertEnvoyAccepts(ProcessingMode mode, boolean failureModeAllow) {
    boolean fullDuplex = false;
    if (mode.getRequestBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED) {
      assertThat(mode.getRequestTrailerMode()).isEqualTo(HeaderSendMode.SEND);
      fullDuplex = true;
    }
    if (mode.getResponseBodyMode() == BodySendMode.FULL_DUPLEX_STREAMED) {
      assertThat(mode.getResponseTrailerMode()).isEqualTo(HeaderSendMode.SEND);
      fullDuplex = true;
    }
    if (fullDuplex) {
      assertThat(failureModeAllow).as("fail-open is refused with FULL_DUPLEX_STREAMED").isFalse();
    }
  }

  private static void assertSidecarClusterIsHttp2(Cluster cluster) throws IOException {
    assertThat(cluster.getTypedExtensionProtocolOptionsMap()).containsKey(PROTOCOL_OPTIONS);
    HttpProtocolOptions options =
        unpack(
            cluster.getTypedExtensionProtocolOptionsOrThrow(PROTOCOL_OPTIONS),
            HttpProtocolOptions.class);
    assertThat(options.getExplicitHttpConfig().hasHttp2ProtocolOptions())
        .as("gRPC to the sidecar needs HTTP/2")
        .isTrue();
  }

  private static String read(String name) throws IOException {
    return Files.readString(repoRoot().resolve("deploy/envoy").resolve(name));
  }

  private static Cluster cluster(Bootstrap bootstrap, String name) {
    return bootstrap.getStaticResources().getClustersList().stream()
        .filter(c -> c.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  private static HttpConnectionManager connectionManager(Listener listener) throws IOException {
    Any config =
        listener.getFilterChains(0).getFiltersList().stream()
            .filter(f -> f.getName().equals(HCM))
            .findFirst()
            .orElseThrow()
            .getTypedConfig();
    return unpack(config, HttpConnectionManager.class);
  }

  private static HttpFilter filter(HttpConnectionManager hcm, String name) {
    return hcm.getHttpFiltersList().stream()
        .filter(f -> f.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  private static Route route(HttpConnectionManager hcm, String name) {
    return hcm.getRouteConfig().getVirtualHostsList().stream()
        .flatMap(v -> v.getRoutesList().stream())
        .filter(r -> r.getName().equals(name))
        .findFirst()
        .orElseThrow();
  }

  private static <T extends com.google.protobuf.Message> T unpack(Any any, Class<T> type)
      throws IOException {
    return any.unpack(type);
  }
}
