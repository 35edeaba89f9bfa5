package io.payloadprocessor.server.config;

import static java.nio.file.StandardWatchEventKinds.ENTRY_CREATE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_DELETE;
import static java.nio.file.StandardWatchEventKinds.ENTRY_MODIFY;
import static java.nio.file.StandardWatchEventKinds.OVERFLOW;

import io.payloadprocessor.server.pipeline.Pipeline;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads the pipeline when the {@code --config} file or directory changes.
 *
 * <p>It watches the directory that holds the config (the config directory itself, or the parent of
 * a config file), so that a Kubernetes ConfigMap update, which atomically replaces the {@code
 * ..data} symlink rather than writing the files, is seen. Events are debounced (default 200 ms) and
 * then the content is re-checked: only a change of the bytes of the YAML files (a SHA-256 over
 * names and contents) triggers a reload. A slow poll (default 10 s) backs up file systems whose
 * events do not arrive (network mounts, a config symlinked from elsewhere).
 *
 * <p>A valid new config is swapped into the {@link AtomicReference} in one step; exchanges in
 * flight keep the {@link Pipeline} they started with, and the old pipeline is closed after a grace
 * period (default 2 minutes, longer than most streamed completions). An invalid config keeps the
 * last good pipeline and logs one line per error. Each reload attempt counts in {@code
 * payload_processor_config_reloads_total{result="success"|"failure"}}.
 */
public final class ConfigWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);

  public static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(200);
  public static final Duration DEFAULT_POLL = Duration.ofSeconds(10);
  public static final Duration DEFAULT_CLOSE_GRACE = Duration.ofMinutes(2);

  /** Metric name (Prometheus counter; exposed with the {@code _total} suffix). */
  public static final String METRIC = "payload_processor_config_reloads_total";

  private final Path configPath;
  private final Path watchedDir;
  private final PipelineLoader loader;
  private final AtomicReference<Pipeline> current;
  private final Duration debounce;
  private final Duration pollInterval;
  private final Duration closeGrace;
  private final Counter reloads;
  private final ScheduledExecutorService closer;
  private final Object reloadLock = new Object();

  private volatile boolean running;
  private volatile String lastFingerprint;
  private WatchService watchService;
  private Thread thread;

  /** A watcher with the default debounce, poll interval and close grace period. */
  public ConfigWatcher(
      Path configPath,
      PipelineLoader loader,
      AtomicReference<Pipeline> current,
      PrometheusRegistry registry) {
    this(
        configPath, loader, current, registry, DEFAULT_DEBOUNCE, DEFAULT_POLL, DEFAULT_CLOSE_GRACE);
  }

  /**
   * A watcher. The counter {@value #METRIC} is registered in {@code registry} (once per registry).
   */
  public ConfigWatcher(
      Path configPath,
      PipelineLoader loader,
      AtomicReference<Pipeline> current,
      PrometheusRegistry registry,
      Duration debounce,
      Duration pollInterval,
      Duration closeGrace) {
    this.configPath = configPath.toAbsolutePath();
    this.watchedDir =
        Files.isDirectory(this.configPath) ? this.configPath : this.configPath.getParent();
    this.loader = loader;
    this.current = current;
    this.debounce = debounce;
    this.pollInterval = pollInterval;
    this.closeGrace = closeGrace;
    this.reloads =
        Counter.builder()
            .name(METRIC)
            .help("PayloadProcessor config reloads by result (success or failure)")
            .labelNames("result")
            .register(registry);
    this.closer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "config-pipeline-closer");
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * The first load, before serving: swaps the pipeline in if valid. On failure nothing is logged
   * (there is no previous pipeline to keep); the caller reports the errors and does not start.
   */
  public LoadResult loadInitial() {
    return load(true);
  }

  /**
   * Loads the config now and swaps it in if valid. Returns the result whatever it is; on failure
   * the current pipeline stays and the errors are logged.
   */
  public LoadResult reloadNow() {
    return load(false);
  }

  private LoadResult load(boolean initial) {
    synchronized (reloadLock) {
      String fingerprint = fingerprint();
      LoadResult result = loader.load(configPath);
      lastFingerprint = fingerprint;
      if (result.ok()) {
        Pipeline old = current.getAndSet(result.pipeline());
        reloads.labelValues("success").inc();
        if (!initial) {
          result.warnings().forEach(w -> LOG.warn("config: {}", w));
        }
        LOG.info(
            "config loaded from {}: {} documents, {} processors",
            configPath,
            result.documents(),
            result.processors());
        if (old != null && old != result.pipeline()) {
          retire(old);
        }
      } else {
        reloads.labelValues("failure").inc();
        if (initial) {
          return result;
        }
        for (ConfigError e : result.errors()) {
          LOG.error("config reload failed: {}", e);
        }
        LOG.error(
            "config reload from {} failed with {} error(s); {}",
            configPath,
            result.errors().size(),
            current.get() == null ? "no pipeline is loaded" : "keeping the previous pipeline");
      }
      return result;
    }
  }

  /** Starts watching (a daemon thread). Call {@link #reloadNow()} first for the initial load. */
  public synchronized void start() throws IOException {
    if (running) {
      return;
    }
    if (lastFingerprint == null) {
      lastFingerprint = fingerprint();
    }
    watchService = watchedDir.getFileSystem().newWatchService();
    watchedDir.register(watchService, ENTRY_CREATE, ENTRY_DELETE, ENTRY_MODIFY);
    running = true;
    thread = new Thread(this::run, "config-watcher");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    long lastEvent = 0;
    boolean pending = false;
    long lastPoll = System.nanoTime();
    while (running) {
      try {
        WatchKey key = watchService.poll(50, TimeUnit.MILLISECONDS);
        if (key != null) {
          // Which entry changed does not matter: the content is re-checked as a whole.
          key.pollEvents()
              .forEach(
                  e -> {
                    if (e.kind() == OVERFLOW) {
                      LOG.debug("config watch overflow; re-checking content");
                    }
                  });
          if (!key.reset()) {
            LOG.warn("config directory {} is no longer watchable; polling only", watchedDir);
          }
          lastEvent = System.nanoTime();
          pending = true;
        }
        long now = System.nanoTime();
        if (pending && now - lastEvent >= debounce.toNanos()) {
          pending = false;
          lastPoll = now;
          checkAndReload();
        } else if (now - lastPoll >= pollInterval.toNanos()) {
          lastPoll = now;
          checkAndReload();
        }
      } catch (InterruptedException | ClosedWatchServiceException e) {
        return;
      } catch (RuntimeException e) {
        // Keep watching: one bad reload must not end hot reload for the process lifetime.
        LOG.error("config watcher error", e);
      }
    }
  }

  /** Reloads if the content differs from what was last loaded. */
  void checkAndReload() {
    String fingerprint = fingerprint();
    if (!fingerprint.equals(lastFingerprint)) {
      LOG.info("config at {} changed; reloading", configPath);
      reloadNow();
    }
  }

  private void retire(Pipeline old) {
    if (closeGrace.isZero()) {
      old.close();
      return;
    }
    try {
      var unused = closer.schedule(old::close, closeGrace.toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      old.close(); // shutting down
    }
  }

  /** SHA-256 over the names and bytes of the files a load would read. */
  String fingerprint() {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
    try {
      List<Path> files =
          Files.isDirectory(configPath)
              ? PipelineLoader.yamlFiles(configPath)
              : List.of(configPath);
      for (Path f : files) {
        sha.update(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        sha.update(Files.readAllBytes(f));
        sha.update((byte) 0);
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (IOException e) {
      return "unreadable: " + e;
    }
  }

  /** The reload counter (tests). */
  Counter reloadCounter() {
    return reloads;
  }

  /** Stops watching. Pipelines waiting for their grace period are closed now. */
  @Override
  public synchronized void close() {
    running = false;
    if (watchService != null) {
      try {
        watchService.close();
      } catch (IOException e) {
        LOG.debug("closing config watch service", e);
      }
    }
    if (thread != null) {
      thread.interrupt();
      try {
        thread.join(2000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    for (Runnable pending : closer.shutdownNow()) {
      pending.run();
    }
  }
}
