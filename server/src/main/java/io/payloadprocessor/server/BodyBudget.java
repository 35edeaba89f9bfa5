package io.payloadprocessor.server;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of request and response bodies the server holds at once, across all streams (bodies
 * collected for the pipeline). Each body is already capped by {@code --max-body-bytes}; this caps
 * their sum, so that many large bodies in flight cannot exhaust the heap: a stream that would pass
 * the limit is answered 503 (retryable) instead, and the others are unaffected.
 */
public final class BodyBudget {
  private final long limit;
  private final AtomicLong held = new AtomicLong();

  public BodyBudget(long limit) {
    this.limit = limit;
  }

  /** A budget of a quarter of the maximum heap, and at least 64 MiB. */
  public static BodyBudget forHeap() {
    return new BodyBudget(Math.max(64L << 20, Runtime.getRuntime().maxMemory() / 4));
  }

  /** Takes {@code bytes} if they fit; false (nothing taken) if they would pass the limit. */
  public boolean tryAcquire(long bytes) {
    while (true) {
      long now = held.get();
      long next = now + bytes;
      if (next > limit) {
        return false;
      }
      if (held.compareAndSet(now, next)) {
        return true;
      }
    }
  }

  public void release(long bytes) {
    if (bytes > 0) {
      held.addAndGet(-bytes);
    }
  }

  /** Bytes held now. */
  public long held() {
    return held.get();
  }

  public long limit() {
    return limit;
  }
}
