package io.payloadprocessor.bench;

import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc;
import io.envoyproxy.envoy.service.ext_proc.v3.ExternalProcessorGrpc.ExternalProcessorStub;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Drives an ext_proc server like many Envoy filters would: one bidi stream per simulated HTTP
 * exchange ({@link LoadExchange}), spread round-robin over a few HTTP/2 connections.
 *
 * <p>Two load models. Fixed rate (open model): exchanges are due at fixed intervals whatever the
 * server does, and latency is measured from when an exchange was due, so a server that stalls is
 * charged for the backlog it causes (no coordinated omission). Max rate (closed model): a fixed
 * number of exchanges in flight, each replaced as soon as it ends; latency from the actual start.
 */
public final class LoadDriver {
  private static final int MAX_INBOUND_MESSAGE_BYTES = 64 * 1024 * 1024;

  private final LoadSettings settings;
  private final ExchangeMessages messages;
  private final LoadStats stats = new LoadStats();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger nextStub = new AtomicInteger();
  private List<ExternalProcessorStub> stubs = List.of();
  private long measureFrom;
  private long measureUntil;

  private LoadDriver(LoadSettings settings) {
    this.settings = settings;
    this.messages = new ExchangeMessages(settings);
  }

  /** Runs warm-up plus the measured window, waits for exchanges in flight, and reports. */
  public static LoadReport run(LoadSettings settings) throws InterruptedException {
    return new LoadDriver(settings).execute();
  }

  private LoadReport execute() throws InterruptedException {
    int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
    ExecutorService callbacks =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "load-callbacks");
              t.setDaemon(true);
              return t;
            });
    List<ManagedChannel> channels = new ArrayList<>();
    List<ExternalProcessorStub> built = new ArrayList<>();
    for (int i = 0; i < Math.max(1, settings.channels()); i++) {
      ManagedChannel channel =
          NettyChannelBuilder.forAddress(settings.host(), settings.port())
              .usePlaintext()
              .executor(callbacks)
              .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
              .build();
      channels.add(channel);
      built.add(ExternalProcessorGrpc.newStub(channel));
    }
    stubs = List.copyOf(built);
    try {
      connect(channels);
      long begin = System.nanoTime();
      measureFrom = begin + settings.warmup().toNanos();
      measureUntil = measureFrom + settings.duration().toNanos();
      if (settings.fixedRate()) {
        runFixedRate(begin);
      } else {
        for (int i = 0; i < Math.max(1, settings.concurrency()); i++) {
          launch(System.nanoTime());
        }
        while (System.nanoTime() < measureUntil) {
          LockSupport.parkNanos(measureUntil - System.nanoTime());
        }
      }
      awaitInFlight();
    } finally {
      for (ManagedChannel channel : channels) {
        channel.shutdownNow();
      }
      for (ManagedChannel channel : channels) {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
      callbacks.shutdownNow();
    }
    return report();
  }

  /**
   * Opens the connections before the clock starts, as a long-running Envoy has them open, so
   * neither warm-up nor the window is spent on TCP and HTTP/2 setup. Gives up after a bounded wait
   * (a server that is down is then reported through the exchanges' errors).
   */
  private void connect(List<ManagedChannel> channels) throws InterruptedException {
    long giveUp =
        System.nanoTime() + Math.min(settings.exchangeTimeout().toNanos(), 5_000_000_000L);
    for (ManagedChannel channel : channels) {
      channel.getState(true);
    }
    while (System.nanoTime() - giveUp < 0
        && channels.stream()
            .map(c -> c.getState(false))
            .anyMatch(s -> s == ConnectivityState.IDLE || s == ConnectivityState.CONNECTING)) {
      Thread.sleep(5);
    }
  }

  private void runFixedRate(long begin) {
    double intervalNanos = 1e9 / settings.rate();
    for (long i = 0; ; i++) {
      long due = begin + (long) (i * intervalNanos);
      if (due - measureUntil >= 0) {
        return;
      }
      for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
        LockSupport.parkNanos(wait);
      }
      if (inFlight.get() >= settings.maxInFlight()) {
        if (measured(due)) {
          stats.error("overload");
        }
        continue;
      }
      launch(due);
    }
  }

  private void launch(long originNanos) {
    inFlight.incrementAndGet();
    ExternalProcessorStub stub = stubs.get(Math.floorMod(nextStub.getAndIncrement(), stubs.size()));
    new LoadExchange(settings, messages, originNanos, this::completed)
        .start(stub, settings.exchangeTimeout().toNanos());
  }

  private void completed(
      long originNanos, long endNanos, LoadExchange.Result result, String errorKind) {
    inFlight.decrementAndGet();
    if (measured(originNanos)) {
      stats.record(endNanos - originNanos, result, errorKind);
    }
    // Closed model: replace the exchange. Runs on a callback-executor thread, never inside the
    // call that failed, so a server that refuses connections cannot recurse the stack.
    if (!settings.fixedRate() && System.nanoTime() - measureUntil < 0) {
      launch(System.nanoTime());
    }
  }

  private boolean measured(long originNanos) {
    return originNanos - measureFrom >= 0 && originNanos - measureUntil < 0;
  }

  private void awaitInFlight() throws InterruptedException {
    long giveUp = System.nanoTime() + settings.exchangeTimeout().toNanos() + 2_000_000_000L;
    while (inFlight.get() > 0 && System.nanoTime() - giveUp < 0) {
      Thread.sleep(5);
    }
  }

  private LoadReport report() {
    double seconds = settings.duration().toNanos() / 1e9;
    long completed = stats.ok() + stats.immediate();
    return new LoadReport(
        settings.fixedRate() ? "fixed-rate" : "max-rate",
        settings.host() + ":" + settings.port(),
        settings.fixedRate() ? settings.rate() : 0,
        settings.fixedRate() ? 0 : settings.concurrency(),
        Math.max(1, settings.channels()),
        seconds,
        completed + stats.errors(),
        stats.ok(),
        stats.immediate(),
        stats.errors(),
        stats.errorKinds(),
        seconds > 0 ? Math.round(completed / seconds * 10) / 10.0 : 0,
        LoadReport.Latency.of(stats.latency()));
  }
}
