package io.payloadprocessor.server.pipeline;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where steps run when not on the calling thread: a bounded CPU pool sized to the cores (for {@code
 * Execution.CPU} steps and for inline steps whose body is larger than {@link #inlineBodyLimit()}),
 * and one timer thread that fires step deadlines. The pool's queue is bounded too: a step that
 * finds it full fails by its failure mode ({@code overloaded}) instead of growing memory without
 * limit.
 *
 * <p>Overload is measured as the queueing delay of the pool (how long the oldest waiting task has
 * waited); past {@link #shedAfter()} the runner sheds optional FailOpen steps.
 */
public final class StepScheduler implements AutoCloseable {
  /** Default: bodies up to this size are scanned on the calling thread. */
  public static final int DEFAULT_INLINE_BODY_LIMIT = 16 * 1024;

  /** Default queueing delay of the CPU pool past which optional FailOpen steps are shed. */
  public static final Duration DEFAULT_SHED_AFTER = Duration.ofMillis(50);

  private static final AtomicInteger POOLS = new AtomicInteger();

  private final ThreadPoolExecutor cpu;
  private final BlockingQueue<Runnable> queue;
  private final ScheduledThreadPoolExecutor timer;
  private final int inlineBodyLimit;
  private final Duration shedAfter;

  /** A scheduler with a pool of {@code threads} and the defaults above. */
  public static StepScheduler create(int threads) {
    return new StepScheduler(threads, 4096, DEFAULT_INLINE_BODY_LIMIT, DEFAULT_SHED_AFTER);
  }

  /** One thread per core. */
  public static StepScheduler forCores() {
    return create(Runtime.getRuntime().availableProcessors());
  }

  public StepScheduler(int threads, int queueCapacity, int inlineBodyLimit, Duration shedAfter) {
    int id = POOLS.incrementAndGet();
    AtomicInteger n = new AtomicInteger();
    this.queue = new LinkedBlockingQueue<>(queueCapacity);
    this.cpu =
        new ThreadPoolExecutor(
            threads,
            threads,
            60,
            TimeUnit.SECONDS,
            queue,
            r -> daemon(r, "processor-cpu-" + id + "-" + n.incrementAndGet()));
    this.timer = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "processor-timer-" + id));
    this.timer.setRemoveOnCancelPolicy(true);
    this.inlineBodyLimit = inlineBodyLimit;
    this.shedAfter = shedAfter;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Bodies larger than this are not read on the calling thread. */
  public int inlineBodyLimit() {
    return inlineBodyLimit;
  }

  public Duration shedAfter() {
    return shedAfter;
  }

  /**
   * Runs {@code task} on the CPU pool; returns a handle that cancels it (interrupting its thread
   * when it already runs), or null when the pool's queue is full.
   */
  TimedTask submit(Runnable task) {
    TimedTask t = new TimedTask(task);
    try {
      cpu.execute(t);
      return t;
    } catch (RejectedExecutionException e) {
      return null;
    }
  }

  /** Runs {@code action} after {@code nanos} on the timer thread. */
  ScheduledFuture<?> schedule(Runnable action, long nanos) {
    return timer.schedule(action, nanos, TimeUnit.NANOSECONDS);
  }

  /** How long the oldest task in the CPU pool's queue has waited, in nanoseconds (0 if none). */
  public long queueDelayNanos() {
    Runnable head = queue.peek();
    return head instanceof TimedTask t ? System.nanoTime() - t.enqueuedNanos : 0;
  }

  /** Whether the pool's queueing delay is past {@link #shedAfter()}. */
  public boolean overloaded() {
    return queueDelayNanos() > shedAfter.toNanos();
  }

  /** Tasks waiting for a CPU thread. */
  public int queued() {
    return queue.size();
  }

  @Override
  public void close() {
    cpu.shutdownNow();
    timer.shutdownNow();
  }

  /** A pool task that knows when it was queued and can be cancelled with an interrupt. */
  static final class TimedTask implements Runnable {
    private final Runnable task;
    final long enqueuedNanos = System.nanoTime();
    private Thread runner; // guarded by this
    private boolean cancelled; // guarded by this

    TimedTask(Runnable task) {
      this.task = task;
    }

    @Override
    public void run() {
      synchronized (this) {
        if (cancelled) {
          return;
        }
        runner = Thread.currentThread();
      }
      try {
        task.run();
      } finally {
        synchronized (this) {
          runner = null;
        }
        Thread.interrupted(); // an interrupt meant for this task must not reach the next one
      }
    }

    /** Stops the task: it never starts, or its thread is interrupted while it runs. */
    synchronized void cancel() {
      cancelled = true;
      if (runner != null) {
        runner.interrupt();
      }
    }
  }
}
