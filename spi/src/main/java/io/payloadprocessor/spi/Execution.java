package io.payloadprocessor.spi;

/**
 * Where the runner runs a processor's work. The server's event loop never waits: what would make it
 * wait runs elsewhere, and every kind is bounded by the step's timeout, which is a timer (when it
 * fires the step fails by its failure mode at once, whatever it is still doing, and a late result
 * is dropped).
 */
public enum Execution {
  /**
   * Cheap, bounded by the size of its input: runs on the calling thread (the gRPC event loop). When
   * the body it reads is larger than the server's inline limit, the runner moves it to the CPU pool
   * instead.
   */
  INLINE,

  /**
   * CPU-heavy (an embedding, a model): always runs on the server's bounded CPU pool, sized to the
   * cores. When the deadline passes the pool thread is interrupted; long loops should check {@link
   * Thread#isInterrupted()} and stop.
   */
  CPU,

  /**
   * Waits on I/O (a remote ext_proc backend, Redis): {@link Processor#onRequestAsync} and {@link
   * Processor#onResponseAsync} start the work and return at once; no thread is parked while it
   * waits. When the deadline passes the runner cancels the returned future.
   */
  ASYNC
}
