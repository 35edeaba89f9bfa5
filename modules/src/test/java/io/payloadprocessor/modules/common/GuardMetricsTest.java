package io.payloadprocessor.modules.common;

import static org.assertj.core.api.Assertions.assertThat;

import io.payloadprocessor.modules.testing.TestContext;
import org.junit.jupiter.api.Test;

class GuardMetricsTest {
  @Test
  void sharedCounterToleratesDoubleRegistration() {
    TestContext ctx = new TestContext();
    GuardMetrics a = GuardMetrics.forProcessor(ctx.metrics(), "a");
    GuardMetrics b = GuardMetrics.forProcessor(ctx.metrics(), "b");
    a.count("block");
    b.count("allow");
    b.count("allow");
    assertThat(GuardMetrics.decisions(ctx.metrics()))
        .isSameAs(GuardMetrics.decisions(ctx.metrics()));
    assertThat(ctx.decisions("a", "block")).isEqualTo(1.0);
    assertThat(ctx.decisions("b", "allow")).isEqualTo(2.0);
    assertThat(ctx.metrics().scrape().stream().map(s -> s.getMetadata().getPrometheusName()))
        .contains("payload_processor_guard_decisions");
  }
}
