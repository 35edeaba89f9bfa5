package io.payloadprocessor.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class BoundedLabelTest {
  @Test
  void firstDistinctValuesUpToTheLimitThenOther() {
    BoundedLabel label = new BoundedLabel(List.of(), 2);
    assertThat(label.of("gpt-4o")).isEqualTo("gpt-4o");
    assertThat(label.of("llama-3.1-8b")).isEqualTo("llama-3.1-8b");
    assertThat(label.of("attacker-" + 1)).isEqualTo(BoundedLabel.OTHER);
    assertThat(label.of("gpt-4o")).isEqualTo("gpt-4o");
    assertThat(label.of(null)).isEqualTo(BoundedLabel.UNKNOWN);
  }

  @Test
  void aConfiguredSetIsTheOnlyValuesKept() {
    BoundedLabel label = new BoundedLabel(List.of("gpt-4o"), 100);
    assertThat(label.of("gpt-4o")).isEqualTo("gpt-4o");
    assertThat(label.of("gpt-4o-mini")).isEqualTo(BoundedLabel.OTHER);
  }

  @Test
  void oddValuesNeverTakeASlot() {
    BoundedLabel label = new BoundedLabel(List.of(), 1);
    assertThat(label.of("x".repeat(65))).isEqualTo(BoundedLabel.OTHER);
    assertThat(label.of("model\"}\nfake_metric 1")).isEqualTo(BoundedLabel.OTHER);
    assertThat(label.of("meta-llama/Llama-3.1-8B-Instruct"))
        .isEqualTo("meta-llama/Llama-3.1-8B-Instruct");
  }
}
