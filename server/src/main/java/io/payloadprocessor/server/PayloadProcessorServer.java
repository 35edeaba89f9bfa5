package io.payloadprocessor.server;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.protobuf.services.HealthStatusManager;
import io.payloadprocessor.envoysim.EnvoyFilterConfig;
import io.payloadprocessor.envoysim.EnvoySim;
import io.payloadprocessor.envoysim.HttpRequest;
import io.payloadprocessor.envoysim.PassThroughProcessor;
import io.payloadprocessor.envoysim.Upstream;
import io.payloadprocessor.envoysim.UpstreamResponse;
import io.payloadprocessor.server.grpc.ExtProcService;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.pipeline.PipelineRunner;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.server.pipeline.StepScheduler;
import io.payloadprocessor.server.telemetry.Tracing;
import io.payloadprocessor.spi.Execution;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ext_proc sidecar: gRPC server (TCP or Unix domain socket), health service, warm-up and
 * graceful drain. Build with {@link #builder()}; {@link #start()} returns once it listens and has
 * warmed up.
 */
public final class PayloadProcessorServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PayloadProcessorServer.class);

  /** Room above the body limit for the largest gRPC message accepted (headers, framing). */
  static final long INBOUND_HEADROOM = 1 << 20;

  /** Request header carried by warm-up exchanges, so modules can tell them from real traffic. */
  public static final String WARMUP_HEADER = "x-payload-processor-warmup";

  private final Builder b;
  private final ServerMetrics metrics;
  private final HealthStatusManager health = new HealthStatusManager();
  private final AtomicBoolean ready = new AtomicBoolean();
  private final AtomicBoolean stopped = new AtomicBoolean();
  private final StepScheduler scheduler;
  private Server server;
  private EventLoopGroup udsGroup;
  private final PipelineRunner runner;
  private final BodyBudget bodyBudget;
  private final ServerContext ctx;

  private PayloadProcessorServer(Builder b) {
    this.b = b;
    this.metrics = new ServerMetrics(b.registry);
    this.scheduler = new StepScheduler(b.cpuThreads, 4096, b.inlineBodyLimit, b.shedAfter);
    GaugeWithCallback.builder()
        .name("payload_processor_cpu_queue_tasks")
        .help("Steps waiting for a thread of the CPU pool")
        .callback(cb -> cb.call(scheduler.queued()))
        .register(b.registry);
    this.runner =
        new PipelineRunner(scheduler, b.pipelineBudget, metrics, true, b.maxHeaderValueBytes);
    this.bodyBudget =
        b.bodyBudgetBytes > 0 ? new BodyBudget(b.bodyBudgetBytes) : BodyBudget.forHeap();
    this.ctx =
        new ServerContext(b.pipeline, runner, metrics, b.maxBodyBytes, bodyBudget, b.tracing);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts listening, warms up, then reports SERVING/ready. */
  public PayloadProcessorServer start() throws IOException {
    BindableService service = b.noOp ? new PassThroughProcessor() : new ExtProcService(ctx);
    // A body message over the body limit is refused without being read whole: gRPC checks the
    // declared length of each message before buffering it. The headroom is for header messages
    // (Envoy's own header limits are far below it) and protobuf framing.
    int maxInbound = (int) Math.min(Integer.MAX_VALUE, b.maxBodyBytes + INBOUND_HEADROOM);
    NettyServerBuilder nb;
    if (b.uds != null) {
      Files.deleteIfExists(b.uds);
      udsGroup =
          new MultiThreadIoEventLoopGroup(
              Math.max(2, Runtime.getRuntime().availableProcessors()), EpollIoHandler.newFactory());
      nb =
          NettyServerBuilder.forAddress(new DomainSocketAddress(b.uds.toString()))
              .channelType(EpollServerDomainSocketChannel.class)
              .bossEventLoopGroup(udsGroup)
              .workerEventLoopGroup(udsGroup);
    } else {
      nb = NettyServerBuilder.forAddress(new InetSocketAddress(b.address, b.port));
    }
    server =
        nb.maxInboundMessageSize(maxInbound)
            // The event loop delivers each message straight to its stream's state machine, which
            // never blocks: no hand-off to a thread pool and back per message.
            .directExecutor()
            .addService(ServerInterceptors.intercept(service, ExtProcService.metadataInterceptor()))
            .addService(health.getHealthService())
            .build()
            .start();
    health.setStatus("", ServingStatus.NOT_SERVING);
    log.info("payload-processor listening on {}", describeAddress());
    if (!b.noOp && b.warmupExchanges > 0) {
      warmUp(b.warmupExchanges);
    }
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(ExternalProcessorGrpc.SERVICE_NAME, ServingStatus.SERVING);
    ready.set(true);
    log.info("ready");
    return this;
  }

  /** The bound TCP port (useful with port 0), or -1 on a Unix socket. */
  public int port() {
    for (SocketAddress a : server.getListenSockets()) {
      if (a instanceof InetSocketAddress ina) {
        return ina.getPort();
      }
    }
    return -1;
  }

  public String describeAddress() {
    return b.uds != null ? "unix:" + b.uds : b.address + ":" + port();
  }

  public boolean isReady() {
    return ready.get();
  }

  public ServerMetrics metrics() {
    return metrics;
  }

  /** The pipeline in force now. */
  public Pipeline pipeline() {
    return b.pipeline.get();
  }

  /**
   * Graceful stop: not ready, refuse new streams, let streams in flight finish up to the drain
   * timeout, then cut the rest.
   */
  public void drainAndStop() throws InterruptedException {
    if (!stopped.compareAndSet(false, true)) {
      return;
    }
    ready.set(false);
    health.enterTerminalState();
    if (server == null) {
      b.tracing.close();
      return;
    }
    server.shutdown();
    if (!server.awaitTermination(b.drainTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
      log.warn("drain timeout of {} passed; cancelling remaining streams", b.drainTimeout);
      server.shutdownNow();
      server.awaitTermination(5, TimeUnit.SECONDS);
    }
    scheduler.close();
    if (udsGroup != null) {
      var unused = udsGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    b.tracing.close(); // the streams are over: export the spans still buffered
    log.info("stopped");
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }

  @Override
  public void close() {
    // AutoCloseable.close should not throw InterruptedException: the interrupt is kept instead.
    try {
      drainAndStop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Exercises the whole stack (state machine, protos, JSON, CEL, modules) in-process before the
   * server reports ready, so the first real exchanges do not pay for class loading and JIT while
   * Envoy's message timer runs. Only steps without I/O take part (not {@code Execution.ASYNC}), the
   * response direction runs no steps, and every exchange carries {@value #WARMUP_HEADER}.
   */
  private void warmUp(int exchanges) {
    long t0 = System.nanoTime();
    List<Step> local = new ArrayList<>();
    for (Step s : b.pipeline.get().steps()) {
      if (s.processor().execution() != Execution.ASYNC && !s.processor().handlesResponse()) {
        local.add(s);
      }
    }
    Pipeline warm = Pipeline.of(local);
    // Warm-up traffic is not real traffic: count it in a throwaway registry, trace none of it.
    ServerMetrics scratch = new ServerMetrics(new PrometheusRegistry());
    PipelineRunner warmRunner =
        new PipelineRunner(scheduler, b.pipelineBudget, scratch, false, b.maxHeaderValueBytes);
    ServerContext wctx =
        new ServerContext(() -> warm, warmRunner, scratch, b.maxBodyBytes, bodyBudget);
    String name = InProcessServerBuilder.generateName();
    Server inproc = null;
    ManagedChannel ch = null;
    try {
      inproc =
          InProcessServerBuilder.forName(name)
              .directExecutor()
              .addService(new ExtProcService(wctx))
              .build()
              .start();
      ch = InProcessChannelBuilder.forName(name).directExecutor().build();
      // The one Envoy client (tools' EnvoySim) drives the warm-up, BUFFERED both ways as the
      // sample Envoy configs do.
      EnvoySim envoy =
          new EnvoySim(
                  ch,
                  EnvoyFilterConfig.builder()
                      .processingMode(
                          EnvoyFilterConfig.DEFAULT_MODE.toBuilder()
                              .setRequestBodyMode(BodySendMode.BUFFERED)
                              .setResponseBodyMode(BodySendMode.BUFFERED)
                              .build())
                      .messageTimeout(Duration.ofSeconds(5))
                      .build())
              .withTracing(false);
      HttpRequest request =
          HttpRequest.builder()
              .header(":path", "/v1/chat/completions")
              .header(":authority", "warmup")
              .header("content-type", "application/json")
              .header(WARMUP_HEADER, "true")
              .body(
                  "{\"model\":\"warmup\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello,"
                      + " how are you?\"}],\"stream\":false}")
              .build();
      Upstream upstream =
          Upstream.fixed(UpstreamResponse.ok("application/json", "{\"choices\":[]}"));
      for (int i = 0; i < exchanges; i++) {
        envoy.exchange(request, upstream);
      }
      log.info("warm-up: {} exchanges in {} ms", exchanges, (System.nanoTime() - t0) / 1_000_000);
    } catch (IOException | RuntimeException e) {
      log.warn("warm-up failed (serving anyway): {}", e.toString());
    } finally {
      if (ch != null) {
        ch.shutdownNow();
      }
      if (inproc != null) {
        inproc.shutdownNow();
      }
    }
  }

  /** Builder; defaults match the CLI's. */
  public static final class Builder {
    private String address = "127.0.0.1";
    private int port = 9002;
    private Path uds;
    private Supplier<Pipeline> pipeline = () -> Pipeline.of(List.of());
    private long maxBodyBytes = 2L << 20;
    private Duration drainTimeout = Duration.ofSeconds(10);
    private Duration pipelineBudget = Duration.ofMillis(1500);
    private PrometheusRegistry registry = new PrometheusRegistry();
    private int warmupExchanges = 300;
    private boolean noOp;
    private int cpuThreads = Runtime.getRuntime().availableProcessors();
    private int inlineBodyLimit = StepScheduler.DEFAULT_INLINE_BODY_LIMIT;
    private Duration shedAfter = StepScheduler.DEFAULT_SHED_AFTER;
    private int maxHeaderValueBytes = PipelineRunner.DEFAULT_MAX_HEADER_VALUE_BYTES;
    private long bodyBudgetBytes;
    private Tracing tracing = Tracing.off();

    /** Threads of the CPU pool (default: one per core). */
    public Builder cpuThreads(int v) {
      cpuThreads = v;
      return this;
    }

    /** Bodies up to this size are read by inline steps on the event loop. */
    public Builder inlineBodyLimit(int v) {
      inlineBodyLimit = v;
      return this;
    }

    /** Queueing delay of the CPU pool past which optional FailOpen steps are shed. */
    public Builder shedAfter(Duration v) {
      shedAfter = v;
      return this;
    }

    /** Cap on one header value a step sets. */
    public Builder maxHeaderValueBytes(int v) {
      maxHeaderValueBytes = v;
      return this;
    }

    /** Bytes of bodies held at once across streams (0: a quarter of the heap, at least 64 MiB). */
    public Builder bodyBudgetBytes(long v) {
      bodyBudgetBytes = v;
      return this;
    }

    /** Tracing of exchanges (default off); the server closes it when it stops. */
    public Builder tracing(Tracing v) {
      tracing = v;
      return this;
    }

    public Builder address(String v) {
      address = v;
      return this;
    }

    public Builder port(int v) {
      port = v;
      return this;
    }

    public Builder uds(Path v) {
      uds = v;
      return this;
    }

    public Builder pipeline(Supplier<Pipeline> v) {
      pipeline = v;
      return this;
    }

    public Builder maxBodyBytes(long v) {
      maxBodyBytes = v;
      return this;
    }

    public Builder drainTimeout(Duration v) {
      drainTimeout = v;
      return this;
    }

    public Builder pipelineBudget(Duration v) {
      pipelineBudget = v;
      return this;
    }

    public Builder registry(PrometheusRegistry v) {
      registry = v;
      return this;
    }

    public Builder warmupExchanges(int v) {
      warmupExchanges = v;
      return this;
    }

    public Builder noOp(boolean v) {
      noOp = v;
      return this;
    }

    public PayloadProcessorServer build() {
      return new PayloadProcessorServer(this);
    }
  }
}
