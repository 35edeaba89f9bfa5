package io.payloadprocessor.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.payloadprocessor.envoysim.EnvoyFilterConfig;
import io.payloadprocessor.envoysim.EnvoySim;
import io.payloadprocessor.envoysim.ForwardedMessage;
import io.payloadprocessor.envoysim.Header;
import io.payloadprocessor.envoysim.HttpMessageParts;
import io.payloadprocessor.envoysim.HttpOutcome;
import io.payloadprocessor.envoysim.HttpRequest;
import io.payloadprocessor.envoysim.Upstream;
import io.payloadprocessor.envoysim.UpstreamResponse;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.PayloadProcessorServer;
import io.payloadprocessor.server.config.ConfigError;
import io.payloadprocessor.server.config.LoadResult;
import io.payloadprocessor.server.config.PipelineLoader;
import io.payloadprocessor.server.extprocess.BackendChannels;
import io.payloadprocessor.server.extprocess.ExtProcessBuilders;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.spi.GoDuration;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs conformance cases: for each case it starts the server with the case's pipeline (and any
 * backends) on ephemeral loopback ports, plays Envoy with {@link EnvoySim}, and checks {@code
 * expect}. With a target, cases run against an already running server instead (its pipeline is
 * assumed loaded; cases that need backends or check config rejection are skipped).
 */
public final class ConformanceRunner {

  /** PASS, FAIL or SKIP. */
  public enum Verdict {
    PASS,
    FAIL,
    SKIP
  }

  /** One case's result. */
  public record Result(
      String name, String tier, Path file, Verdict verdict, String reason, long millis) {
    /** The line printed for this case. */
    public String line() {
      return switch (verdict) {
        case PASS -> "PASS " + name;
        case FAIL -> "FAIL " + name + ": " + reason;
        case SKIP -> "SKIP " + name + ": " + reason;
      };
    }
  }

  private final String target;

  /**
   * @param target HOST:PORT of an external server, or null to start servers per case
   */
  public ConformanceRunner(String target) {
    this.target = target;
  }

  /** Every *.yaml under the paths (files taken as given), in path order. */
  public static List<Path> discover(List<Path> paths) throws IOException {
    List<Path> files = new ArrayList<>();
    for (Path p : paths) {
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.walk(p)) {
          s.filter(f -> f.toString().endsWith(".yaml") && Files.isRegularFile(f))
              .sorted()
              .forEach(files::add);
        }
      } else if (Files.isRegularFile(p)) {
        files.add(p);
      } else {
        throw new IOException("no such case file or directory: " + p);
      }
    }
    return files;
  }

  /**
   * Parses a case file. A file that cannot be parsed yields one FAIL result named after the file,
   * carried in the exception-free list as a null case.
   */
  public static List<Object> load(Path file) {
    List<Object> out = new ArrayList<>();
    try {
      // The pipeline loader's YAML reader: anchors and merge keys mean what they do in pipelines.
      List<JsonNode> docs = PipelineLoader.parseYaml(Files.readString(file));
      JsonNode doc = docs.isEmpty() ? NullNode.instance : docs.get(0);
      out.addAll(ConformanceCase.parseAll(doc, file));
    } catch (ConformanceCase.CaseFormatException | IOException e) {
      out.add(
          new Result(
              file.getFileName().toString(),
              "",
              file,
              Verdict.FAIL,
              file + ": invalid case: " + e.getMessage(),
              0));
    }
    return out;
  }

  /** Runs one case. */
  public Result run(ConformanceCase c) {
    long t0 = System.nanoTime();
    try {
      Result r = target == null ? runLocal(c) : runRemote(c);
      return r;
    } catch (Exception e) {
      return result(c, Verdict.FAIL, "runner error: " + e, t0);
    }
  }

  private Result runRemote(ConformanceCase c) throws Exception {
    long t0 = System.nanoTime();
    if (c.needsOwnBackends()) {
      return result(c, Verdict.SKIP, "needs backends or faults (not with --target)", t0);
    }
    if (c.expect().configRejected()) {
      return result(c, Verdict.SKIP, "checks config validation (not with --target)", t0);
    }
    ManagedChannel ch = NettyChannelBuilder.forTarget(target).usePlaintext().build();
    try {
      return drive(c, ch, t0);
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private Result runLocal(ConformanceCase c) throws Exception {
    long t0 = System.nanoTime();
    List<AutoCloseable> cleanup = new ArrayList<>();
    try {
      Map<String, String> backendAddresses = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> b : c.backends().entrySet()) {
        String addr = startBackend(c, b.getKey(), b.getValue(), cleanup);
        if (addr.startsWith("!")) {
          return result(c, Verdict.FAIL, addr.substring(1), t0);
        }
        backendAddresses.put(b.getKey(), addr);
      }
      BackendChannels channels = new BackendChannels(backendAddresses);
      cleanup.add(channels);
      LoadResult loaded = load(c, c.pipeline(), channels);
      if (c.expect().configRejected()) {
        if (loaded.ok()) {
          return result(c, Verdict.FAIL, "pipeline was accepted, expected a validation error", t0);
        }
        return result(c, Verdict.PASS, "", t0);
      }
      if (!loaded.ok()) {
        return result(c, Verdict.FAIL, "pipeline rejected: " + errors(loaded), t0);
      }
      PayloadProcessorServer server = startServer(loaded.pipeline());
      cleanup.add(server);
      ManagedChannel ch =
          NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
      cleanup.add(() -> ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
      return drive(c, ch, t0);
    } finally {
      for (int i = cleanup.size() - 1; i >= 0; i--) {
        try {
          cleanup.get(i).close();
        } catch (Exception ignored) {
          // best effort
        }
      }
    }
  }

  private static String errors(LoadResult r) {
    List<String> lines = new ArrayList<>();
    for (ConfigError e : r.errors()) {
      lines.add(e.toString());
    }
    return String.join("; ", lines);
  }

  private static LoadResult load(ConformanceCase c, JsonNode pipeline, BackendChannels channels) {
    Map<String, String> options = new LinkedHashMap<>();
    if (pipeline.toString().contains("\"redis\"")) {
      LocalRedis.url().ifPresent(u -> options.put("redis.url", u));
    }
    PipelineLoader loader =
        new PipelineLoader(new ExtProcessBuilders(channels), new PrometheusRegistry(), options);
    List<JsonNode> docs = new ArrayList<>();
    pipeline.forEach(docs::add);
    Path dir = c.file() == null ? Path.of(".") : c.file().toAbsolutePath().getParent();
    return loader.loadDocuments(String.valueOf(c.file()), dir, docs);
  }

  private static PayloadProcessorServer startServer(Pipeline pipeline) throws IOException {
    return PayloadProcessorServer.builder()
        .address("127.0.0.1")
        .port(0)
        .pipeline(() -> pipeline)
        .warmupExchanges(20)
        .registry(new PrometheusRegistry())
        .build()
        .start();
  }

  /** Starts one backend; returns HOST:PORT, or "!reason" when it cannot be started. */
  private static String startBackend(
      ConformanceCase c, String name, JsonNode spec, List<AutoCloseable> cleanup) throws Exception {
    if (spec.has("pipeline")) {
      BackendChannels none = new BackendChannels(Map.of());
      cleanup.add(none);
      LoadResult loaded = load(c, spec.get("pipeline"), none);
      if (!loaded.ok()) {
        return "!backend " + name + " pipeline rejected: " + errors(loaded);
      }
      PayloadProcessorServer s = startServer(loaded.pipeline());
      cleanup.add(s);
      return "127.0.0.1:" + s.port();
    }
    FaultBackend fault = FaultBackend.start(spec.get("fault"));
    cleanup.add(fault);
    return fault.address();
  }

  private Result drive(ConformanceCase c, ManagedChannel ch, long t0) throws Exception {
    EnvoyFilterConfig config = envoyConfig(c.envoy());
    HttpRequest request = request(c.request());
    Upstream upstream = Upstream.fixed(response(c.response()));
    HttpOutcome o = new EnvoySim(ch, config).exchange(request, upstream);
    Expectations.Observed up =
        observed(o.upstreamReached(), o.upstreamReached() ? o.upstreamRequest() : null);
    Expectations.Observed client = observed(true, o.clientResponse());
    Map<String, JsonNode> md = new LinkedHashMap<>();
    for (Map.Entry<String, Struct> e : o.emittedMetadata().entrySet()) {
      md.put(e.getKey(), HttpMessage.JSON.readTree(JsonFormat.printer().print(e.getValue())));
    }
    List<String> failures = Expectations.check(c, up, client, o.elapsed().toMillis(), md);
    if (failures.isEmpty()) {
      return result(c, Verdict.PASS, "", t0);
    }
    if (Boolean.getBoolean("payload-processor.conformance.trace")) {
      // For whoever debugs a case: the messages the simulated Envoy exchanged with the server.
      System.err.println("--- trace of " + c.name() + "\n" + o.trace());
    }
    return result(c, Verdict.FAIL, String.join("; ", failures), t0);
  }

  private static Expectations.Observed observed(boolean present, ForwardedMessage m) {
    if (m == null) {
      return new Expectations.Observed(false, -1, List.of(), new byte[0]);
    }
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    for (Header h : m.headers()) {
      headers.add(Map.entry(h.name(), h.value()));
    }
    return new Expectations.Observed(present, m.status(), headers, m.body());
  }

  static EnvoyFilterConfig envoyConfig(JsonNode envoy) {
    ProcessingMode.Builder pm =
        ProcessingMode.newBuilder()
            .setRequestHeaderMode(HeaderSendMode.SEND)
            .setRequestBodyMode(BodySendMode.BUFFERED)
            .setRequestTrailerMode(HeaderSendMode.SKIP)
            .setResponseHeaderMode(HeaderSendMode.SEND)
            .setResponseBodyMode(BodySendMode.BUFFERED)
            .setResponseTrailerMode(HeaderSendMode.SKIP);
    EnvoyFilterConfig.Builder b =
        EnvoyFilterConfig.builder()
            .messageTimeout(Duration.ofSeconds(2))
            .failureModeAllow(false)
            .allowModeOverride(true)
            .bufferLimitBytes(1048576)
            .receivingNamespaces(java.util.Set.of("io.payload_processor"));
    if (envoy != null) {
      JsonNode m = envoy.get("processingMode");
      if (m != null) {
        // Case keys are the proto fields in camelCase, values Envoy's enum names.
        m.properties()
            .forEach(
                e -> {
                  Descriptors.FieldDescriptor f =
                      ProcessingMode.getDescriptor().findFieldByName(snake(e.getKey()));
                  Descriptors.EnumValueDescriptor v =
                      f == null ? null : f.getEnumType().findValueByName(e.getValue().asText());
                  if (v == null) {
                    throw new IllegalArgumentException(
                        "envoy.processingMode." + e.getKey() + ": unknown value " + e.getValue());
                  }
                  pm.setField(f, v);
                });
      }
      if (envoy.has("messageTimeout")) {
        b.messageTimeout(GoDuration.parse(envoy.get("messageTimeout").asText()));
      }
      if (envoy.has("failureModeAllow")) {
        b.failureModeAllow(envoy.get("failureModeAllow").asBoolean());
      }
      if (envoy.has("allowModeOverride")) {
        b.allowModeOverride(envoy.get("allowModeOverride").asBoolean());
      }
      if (envoy.has("bufferLimitBytes")) {
        b.bufferLimitBytes(envoy.get("bufferLimitBytes").asLong());
      }
      if (envoy.has("requestAttributes")) {
        b.requestAttributes(struct(envoy.get("requestAttributes"), "envoy.requestAttributes"));
      }
      if (envoy.has("responseAttributes")) {
        b.responseAttributes(struct(envoy.get("responseAttributes"), "envoy.responseAttributes"));
      }
      if (envoy.has("grpcInitialMetadata")) {
        Map<String, String> md = new LinkedHashMap<>();
        envoy
            .get("grpcInitialMetadata")
            .properties()
            .forEach(e -> md.put(e.getKey(), e.getValue().asText()));
        b.grpcInitialMetadata(md);
      }
    }
    return b.processingMode(pm.build()).build();
  }

  /** A case's attribute map (expression text to value) as the Struct Envoy sends. */
  private static com.google.protobuf.Struct struct(JsonNode node, String field) {
    if (!node.isObject()) {
      throw new IllegalArgumentException(field + ": must be a map of expression to value");
    }
    com.google.protobuf.Struct.Builder s = com.google.protobuf.Struct.newBuilder();
    try {
      com.google.protobuf.util.JsonFormat.parser().merge(node.toString(), s);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
    }
    return s.build();
  }

  private static String snake(String camel) {
    return camel.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT);
  }

  private static HttpRequest request(ConformanceCase.Message m) {
    return fill(HttpRequest.builder(), m).build();
  }

  private static UpstreamResponse response(ConformanceCase.Message m) {
    return m == null
        ? UpstreamResponse.builder().build()
        : fill(UpstreamResponse.builder(), m).build();
  }

  /** A case's message into the simulator's builder (shared by request and response). */
  private static <B extends HttpMessageParts.Builder<?, B>> B fill(B b, ConformanceCase.Message m) {
    m.headers().forEach(e -> b.header(e.getKey(), e.getValue()));
    if (m.body() != null) {
      b.body(m.body());
    }
    if (m.chunks() != null) {
      b.chunkOffsets(m.chunks());
    }
    if (m.trailers() != null) {
      b.trailers(m.trailers());
    }
    return b;
  }

  private static Result result(ConformanceCase c, Verdict v, String reason, long t0) {
    return new Result(
        c.name(), c.tier(), c.file(), v, reason, (System.nanoTime() - t0) / 1_000_000);
  }
}
