package io.payloadprocessor.modules.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalRedisServerTest {
  @Test
  void missingBinaryFailsWithAnInstallHint(@TempDir Path empty) {
    assertThatThrownBy(() -> LocalRedisServer.findBinary(empty.toString(), List.of()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("redis-server not found")
        .hasMessageContaining("apt-get install -y redis-server");
  }

  @Test
  void binaryIsFoundOnThePath(@TempDir Path dir) throws Exception {
    Path fake = Files.createFile(dir.resolve("redis-server"));
    assertThat(fake.toFile().setExecutable(true)).isTrue();
    assertThat(LocalRedisServer.findBinary("/nonexistent:" + dir, List.of()))
        .isEqualTo(fake.toString());
  }
}
