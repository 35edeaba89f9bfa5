package io.payloadprocessor.server.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.server.ServerMetrics;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class StreamRunTest {
  private final StepScheduler scheduler = StepScheduler.create(1);
  private final PipelineRunner runner =
      new PipelineRunner(
          scheduler, Duration.ofSeconds(1), new ServerMetrics(new PrometheusRegistry()));

  @AfterEach
  void tearDown() {
    scheduler.close();
  }

  /** Passes every event; blocks when the stream ends. */
  private static final Processor BLOCKS_AT_END =
      new Processor() {
        @Override
        public boolean handlesResponse() {
          return true;
        }

        @Override
        public Outcome onRequest(Exchange exchange) {
          return Outcome.proceed();
        }

        @Override
        public SseStreamProcessor openSseStream(Exchange exchange) {
          return new SseStreamProcessor() {
            @Override
            public StreamStep onEvent(SseEvent event) {
              return StreamStep.pass(event);
            }

            @Override
            public StreamStep onEnd() {
              return StreamStep.block(List.of(), Block.of(403, "late_block", "no"));
            }
          };
        }
      };

  private StreamRun stream() {
    MutableExchange ex =
        new MutableExchange(
            "r",
            new HttpMessage(new Headers().set(":path", "/v1/chat/completions"), null, false),
            Map.of());
    Step step =
        new Step(
            "guard",
            "doc",
            Stage.PRE_ROUTING,
            new TargetRef("gateway.networking.k8s.io", "Gateway", "gw", null),
            FailureMode.FAIL_CLOSED,
            Duration.ofSeconds(1),
            "module",
            BLOCKS_AT_END);
    return runner.openStream(ex, List.of(step));
  }

  @Test
  void anErrorAfterAnUnterminatedLastEventIsItsOwnEvent() {
    StreamRun s = stream();
    String out =
        new String(
            s.onChunk("data: a\n\ndata: b".getBytes(StandardCharsets.UTF_8), true),
            StandardCharsets.UTF_8);
    assertThat(out).startsWith("data: a\n\ndata: b\n\n");
    assertThat(out.substring("data: a\n\ndata: b\n\n".length())).contains("late_block");
    assertThat(s.blocked()).isTrue();
  }

  @Test
  void anErrorAfterATerminatedEventAddsNoBlankLine() {
    StreamRun s = stream();
    String out =
        new String(
            s.onChunk("data: a\r\n\r\n".getBytes(StandardCharsets.UTF_8), true),
            StandardCharsets.UTF_8);
    assertThat(out).startsWith("data: a\r\n\r\n");
    assertThat(out.charAt("data: a\r\n\r\n".length())).isNotIn('\n', '\r');
  }
}
