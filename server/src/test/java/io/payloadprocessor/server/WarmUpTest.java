package io.payloadprocessor.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.payloadprocessor.server.pipeline.FailureMode;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.pipeline.Stage;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.server.pipeline.TargetRef;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Warm-up drives the pipeline through the Envoy-faithful client before the server reports ready:
 * every warm-up exchange reaches the request steps with its JSON body and the warm-up header.
 */
class WarmUpTest {

  @Test
  void everyWarmUpExchangeRunsTheRequestStepsOnAParsedBody() throws Exception {
    AtomicInteger marked = new AtomicInteger();
    AtomicInteger parsed = new AtomicInteger();
    Processor counter =
        new Processor() {
          @Override
          public Outcome onRequest(Exchange exchange) throws BodyException {
            if ("true"
                .equals(exchange.request().headers().get(PayloadProcessorServer.WARMUP_HEADER))) {
              marked.incrementAndGet();
            }
            if (exchange.request().json().path("model").asText().equals("warmup")) {
              parsed.incrementAndGet();
            }
            return Outcome.proceed();
          }
        };
    Step step =
        new Step(
            "count",
            "doc",
            Stage.PRE_ROUTING,
            new TargetRef("gateway.networking.k8s.io", "Gateway", "gw", null),
            FailureMode.FAIL_CLOSED,
            Duration.ofSeconds(2),
            "InProcess",
            counter);
    Pipeline pipeline = Pipeline.of(List.of(step));
    PayloadProcessorServer server =
        PayloadProcessorServer.builder()
            .port(0)
            .warmupExchanges(7)
            .registry(new PrometheusRegistry())
            .pipeline(() -> pipeline)
            .build();
    try {
      server.start();
      assertThat(server.isReady()).isTrue();
      assertThat(marked).hasValue(7);
      assertThat(parsed).hasValue(7);
    } finally {
      server.drainAndStop();
    }
  }
}
