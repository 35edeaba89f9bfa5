package io.payloadprocessor.e2e;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.payloadprocessor.envoysim.EnvoyFilterConfig;
import io.payloadprocessor.envoysim.EnvoySim;
import io.payloadprocessor.server.PayloadProcessorServer;
import io.payloadprocessor.server.config.LoadResult;
import io.payloadprocessor.server.config.PipelineLoader;
import io.payloadprocessor.server.config.ProcessorBuilders;
import io.payloadprocessor.server.telemetry.Tracing;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A real server on a loopback port with a pipeline from YAML, and channels to it. */
final class ServerFixture implements AutoCloseable {
  final PrometheusRegistry registry = new PrometheusRegistry();
  final PayloadProcessorServer server;
  final ManagedChannel channel;

  ServerFixture(String pipelineYaml) throws Exception {
    this(pipelineYaml, Tracing.off());
  }

  ServerFixture(String pipelineYaml, Tracing tracing) throws Exception {
    PipelineLoader loader =
        new PipelineLoader(ProcessorBuilders.validationOnly(), registry, Map.of());
    LoadResult r =
        loader.loadDocuments("test", Path.of("."), PipelineLoader.parseYaml(pipelineYaml));
    if (!r.ok()) {
      throw new IllegalArgumentException("bad test pipeline: " + r.errors());
    }
    server =
        PayloadProcessorServer.builder()
            .address("127.0.0.1")
            .port(0)
            .pipeline(r::pipeline)
            .registry(registry)
            .warmupExchanges(10)
            .tracing(tracing)
            .build()
            .start();
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  EnvoySim envoy(EnvoyFilterConfig config) {
    return new EnvoySim(channel, config);
  }

  double metric(String name, Map<String, String> labels) {
    for (var snapshot : registry.scrape()) {
      if (!snapshot.getMetadata().getPrometheusName().equals(name)) {
        continue;
      }
      for (var dp : snapshot.getDataPoints()) {
        boolean match =
            labels.entrySet().stream()
                .allMatch(e -> e.getValue().equals(dp.getLabels().get(e.getKey())));
        if (match) {
          if (dp
              instanceof
              io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot c) {
            return c.getValue();
          }
          if (dp
              instanceof
              io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot g) {
            return g.getValue();
          }
        }
      }
    }
    return 0;
  }

  @Override
  public void close() {
    try {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      server.drainAndStop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
