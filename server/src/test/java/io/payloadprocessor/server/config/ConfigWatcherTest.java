package io.payloadprocessor.server.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.pipeline.Step;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigWatcherTest {
  @TempDir Path dir;

  private final AtomicReference<Pipeline> current = new AtomicReference<>();
  private ConfigWatcher watcher;

  @AfterEach
  void stop() {
    if (watcher != null) {
      watcher.close();
    }
  }

  private static String config(String processorName) {
    return PipelineLoaderTest.doc(
        "pp", "Gateway", "PreRouting", PipelineLoaderTest.inProcess(processorName));
  }

  private ConfigWatcher watcher(Path path, Duration poll) {
    PipelineLoader loader =
        new PipelineLoader(
            ProcessorBuilders.validationOnly(), List.of(), new PrometheusRegistry(), Map.of());
    watcher =
        new ConfigWatcher(
            path,
            loader,
            current,
            new PrometheusRegistry(),
            Duration.ofMillis(100),
            poll,
            Duration.ZERO);
    return watcher;
  }

  private List<String> names() {
    return current.get().steps().stream().map(Step::name).toList();
  }

  private double count(String result) {
    return watcher.reloadCounter().labelValues(result).get();
  }

  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10s");
      }
      Thread.sleep(20);
    }
  }

  /** Writes via a temp file and an atomic move, as editors and kubelet do. */
  private static void replace(Path file, String content) throws Exception {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.writeString(tmp, content);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  @Test
  void reloadsAFileAndKeepsTheLastGoodPipelineOnErrors() throws Exception {
    Path file = dir.resolve("pp.yaml");
    Files.writeString(file, config("first"));
    ConfigWatcher w = watcher(file, Duration.ofMinutes(10));
    assertThat(w.reloadNow().ok()).isTrue();
    Pipeline first = current.get();
    assertThat(names()).containsExactly("first");
    w.start();

    replace(file, config("second"));
    await(() -> names().equals(List.of("second")) && count("success") == 2.0);
    Pipeline second = current.get();
    assertThat(second).isNotSameAs(first);

    replace(file, config("Invalid_Name"));
    await(() -> count("failure") == 1.0);
    assertThat(current.get()).isSameAs(second);

    replace(file, config("third"));
    await(() -> names().equals(List.of("third")) && count("success") == 3.0);
    assertThat(count("failure")).isEqualTo(1.0);
  }

  @Test
  void identicalContentDoesNotReload() throws Exception {
    Path file = dir.resolve("pp.yaml");
    Files.writeString(file, config("same"));
    ConfigWatcher w = watcher(file, Duration.ofMinutes(10));
    w.reloadNow();
    Pipeline loaded = current.get();
    w.start();
    Files.writeString(dir.resolve("unrelated.txt"), "x");
    replace(file, config("same"));
    // Then a real change, to know the watcher has processed the events before it.
    Files.writeString(dir.resolve("other.yaml.bak"), "y");
    Thread.sleep(400);
    assertThat(current.get()).isSameAs(loaded);
    assertThat(count("success")).isEqualTo(1.0);
  }

  @Test
  void followsAConfigMapSymlinkSwap() throws Exception {
    // The layout kubelet writes for a ConfigMap volume.
    Path mount = Files.createDirectory(dir.resolve("config"));
    Path v1 = Files.createDirectory(mount.resolve("..2025_01_01_00_00_00.000000001"));
    Files.writeString(v1.resolve("pipeline.yaml"), config("v1"));
    Files.createSymbolicLink(mount.resolve("..data"), v1.getFileName());
    Files.createSymbolicLink(
        mount.resolve("pipeline.yaml"), Path.of("..data").resolve("pipeline.yaml"));

    ConfigWatcher w = watcher(mount, Duration.ofMinutes(10));
    assertThat(w.reloadNow().ok()).isTrue();
    assertThat(names()).containsExactly("v1");
    w.start();

    Path v2 = Files.createDirectory(mount.resolve("..2025_01_02_00_00_00.000000002"));
    Files.writeString(v2.resolve("pipeline.yaml"), config("v2"));
    Path tmpLink = Files.createSymbolicLink(mount.resolve("..data_tmp"), v2.getFileName());
    Files.move(tmpLink, mount.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);

    await(() -> names().equals(List.of("v2")) && count("success") == 2.0);
  }

  @Test
  void pollingCatchesChangesWithoutEvents() throws Exception {
    // The config file is a symlink to a file in another, unwatched directory.
    Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
    Path target = elsewhere.resolve("real.yaml");
    Files.writeString(target, config("before"));
    Path watched = Files.createDirectory(dir.resolve("watched"));
    Path link = Files.createSymbolicLink(watched.resolve("pp.yaml"), target);

    ConfigWatcher w = watcher(link, Duration.ofMillis(200));
    w.reloadNow();
    w.start();
    Files.writeString(target, config("after"));
    await(() -> names().equals(List.of("after")));
  }
}
