package io.payloadprocessor.modules.common;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Micro-batching of embedding requests: {@link #submit} queues a text and returns at once; up to
 * {@code workers} drain tasks on the given executor each take every queued text (up to {@code
 * maxBatch}) as one batch and embed it. There is no waiting for a batch to fill: a text submitted
 * while the workers are idle is embedded at once, and texts that arrive while a batch runs go into
 * the next one, so batches grow with load and latency does not. A batch costs one hand-off to the
 * pool, and identical texts in it (the same prompt sent by many clients at once) are embedded once.
 * The texts of a batch run one encoder call each: see {@link MiniLmModel} for why a quantized model
 * must not see two texts in one call.
 *
 * <p>Cancelling a returned future removes its text from the queue, or, once its batch has started,
 * skips the text if no other request of the batch still wants it; a call already running goes to
 * its end (ONNX Runtime cannot be interrupted) and its result is dropped. The queue is bounded:
 * past {@code maxQueued} waiting texts a submit fails at once with {@link
 * RejectedExecutionException}.
 *
 * <p>Written here because the pattern is a few dozen lines of queue handling around the model, and
 * no library at hand batches futures this way with cancellation.
 */
public final class EmbeddingBatcher {
  private final Function<String, float[]> encoder;
  private final Executor executor;
  private final int workers;
  private final int maxBatch;
  private final int maxQueued;

  private final Object lock = new Object();
  private final LinkedHashSet<Request> queue = new LinkedHashSet<>();
  private int activeWorkers;

  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong texts = new AtomicLong();
  private final AtomicLong cancelled = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();

  /** One queued text and the future its caller holds. */
  private final class Request extends CompletableFuture<float[]> {
    final String text;

    Request(String text) {
      this.text = text;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean removed;
      synchronized (lock) {
        removed = queue.remove(this);
      }
      if (removed) {
        cancelled.incrementAndGet();
      }
      return super.cancel(mayInterruptIfRunning);
    }
  }

  /**
   * @param encoder embeds one text, on the calling thread
   * @param executor where the drain tasks run (a pool bounded by the cores)
   * @param workers how many encoder calls may run at once
   * @param maxBatch most texts in one encoder call
   * @param maxQueued most texts waiting for a call
   */
  public EmbeddingBatcher(
      Function<String, float[]> encoder,
      Executor executor,
      int workers,
      int maxBatch,
      int maxQueued) {
    if (workers < 1 || maxBatch < 1 || maxQueued < 1) {
      throw new IllegalArgumentException("workers, maxBatch and maxQueued must be positive");
    }
    this.encoder = encoder;
    this.executor = executor;
    this.workers = workers;
    this.maxBatch = maxBatch;
    this.maxQueued = maxQueued;
  }

  /** Queues {@code text}; the future completes with its embedding. Never blocks. */
  public CompletableFuture<float[]> submit(String text) {
    Request r = new Request(text);
    boolean start = false;
    synchronized (lock) {
      if (queue.size() >= maxQueued) {
        rejected.incrementAndGet();
        return CompletableFuture.failedFuture(
            new RejectedExecutionException(
                "the embedding queue is full (" + maxQueued + " texts waiting)"));
      }
      queue.add(r);
      if (activeWorkers < workers) {
        activeWorkers++;
        start = true;
      }
    }
    if (start) {
      startWorker();
    }
    return r;
  }

  private void startWorker() {
    try {
      executor.execute(this::drainOnce);
    } catch (RejectedExecutionException e) {
      // The executor is shut down: fail what is queued rather than leave it waiting forever.
      List<Request> stranded;
      synchronized (lock) {
        activeWorkers--;
        stranded = activeWorkers == 0 ? new ArrayList<>(queue) : List.of();
        if (activeWorkers == 0) {
          queue.clear();
        }
      }
      stranded.forEach(s -> s.completeExceptionally(e));
    }
  }

  /**
   * Takes one batch and embeds it, then hands the thread back to the executor (other work queued
   * there runs in between) and, if texts are still waiting, queues itself again.
   */
  private void drainOnce() {
    List<Request> batch = new ArrayList<>();
    synchronized (lock) {
      Iterator<Request> it = queue.iterator();
      while (it.hasNext() && batch.size() < maxBatch) {
        batch.add(it.next());
        it.remove();
      }
      if (batch.isEmpty()) {
        activeWorkers--;
        return;
      }
    }
    try {
      embed(batch);
    } finally {
      boolean again;
      synchronized (lock) {
        again = !queue.isEmpty();
        if (!again) {
          activeWorkers--;
        }
      }
      if (again) {
        startWorker();
      }
    }
  }

  private void embed(List<Request> batch) {
    batches.incrementAndGet();
    Map<String, List<Request>> byText = new LinkedHashMap<>();
    for (Request r : batch) {
      byText.computeIfAbsent(r.text, t -> new ArrayList<>()).add(r);
    }
    for (Map.Entry<String, List<Request>> e : byText.entrySet()) {
      List<Request> waiting = e.getValue();
      if (waiting.stream().allMatch(CompletableFuture::isDone)) {
        cancelled.addAndGet(waiting.size()); // all cancelled after the batch was taken
        continue;
      }
      try {
        float[] vector = encoder.apply(e.getKey());
        texts.incrementAndGet();
        waiting.forEach(r -> r.complete(vector));
      } catch (RuntimeException | Error failure) {
        waiting.forEach(r -> r.completeExceptionally(failure));
        if (failure instanceof Error err) {
          throw err;
        }
      }
    }
  }

  /** Batches taken so far (each one hand-off to the pool). */
  public long batches() {
    return batches.get();
  }

  /** Encoder calls so far: texts embedded, identical texts in one batch counting once. */
  public long texts() {
    return texts.get();
  }

  /** Requests cancelled before their text's encoder call started. */
  public long cancelled() {
    return cancelled.get();
  }

  /** Requests refused because the queue was full. */
  public long rejected() {
    return rejected.get();
  }

  /** Texts waiting for an encoder call. */
  public int queued() {
    synchronized (lock) {
      return queue.size();
    }
  }
}
