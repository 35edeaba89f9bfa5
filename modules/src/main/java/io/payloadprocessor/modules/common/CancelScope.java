package io.payloadprocessor.modules.common;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * Carries the cancellation of a future chain back to the futures it waits on. A {@link
 * CompletableFuture} built with {@code thenCompose} does not cancel its sources when it is
 * cancelled; the runner cancels a step's future at its deadline, and a queued embedding or Redis
 * command should then be dropped too. Each source the chain starts is {@link #track}ed; when the
 * future given to {@link #bind} is cancelled, every tracked source is cancelled (one tracked after
 * that is cancelled at once).
 */
public final class CancelScope {
  private final List<Future<?>> tracked = new ArrayList<>(2);
  private boolean cancelled;

  /** Cancels {@code source} when the bound future is cancelled; returns {@code source}. */
  public <F extends Future<?>> F track(F source) {
    synchronized (this) {
      if (!cancelled) {
        tracked.add(source);
        return source;
      }
    }
    source.cancel(false);
    return source;
  }

  /** Binds this scope to {@code result}, the future handed to the caller; returns it. */
  public <T> CompletableFuture<T> bind(CompletableFuture<T> result) {
    var unused =
        result.whenComplete(
            (v, e) -> {
              if (result.isCancelled()) {
                cancelAll();
              }
            });
    return result;
  }

  private void cancelAll() {
    List<Future<?>> sources;
    synchronized (this) {
      cancelled = true;
      sources = new ArrayList<>(tracked);
      tracked.clear();
    }
    sources.forEach(f -> f.cancel(false));
  }

  /**
   * Waits for {@code stage} and returns its value; a failure is rethrown as the exception the stage
   * failed with (not wrapped), so that synchronous callers see the same exceptions as before. For
   * callers that may block: tests and the synchronous processor entry points.
   */
  public static <T> T join(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw unwrapped(e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      stage.toCompletableFuture().cancel(false);
      throw e;
    }
  }

  /** The exception a chain failed with, without its {@link CompletionException} wrapping. */
  public static Exception unwrapped(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException)
        && cause.getCause() != null) {
      cause = cause.getCause();
    }
    if (cause instanceof Exception ex) {
      return ex;
    }
    if (cause instanceof Error err) {
      throw err;
    }
    return new IllegalStateException(cause);
  }
}
