package io.payloadprocessor.server.grpc;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the tasks given to it one at a time, in order, on the thread that gives them (no thread of
 * its own): a task given while another runs is run by that thread when its task ends.
 *
 * <p>Written here rather than taken from Guava ({@code MoreExecutors.newSequentialExecutor}), which
 * the stream used before: that one allocates a queue entry and takes a lock for every task, and
 * every ext_proc message is a task. Here a task given to an idle executor (nearly always: gRPC
 * delivers a stream's messages one after another on its event loop) runs at once after one
 * compare-and-set, with no allocation; only a task that meets another one running is queued.
 *
 * <p>A task that throws is logged and the next one runs: one failure must not wedge the stream.
 */
final class SerialExecutor implements Executor {
  private static final Logger log = LoggerFactory.getLogger(SerialExecutor.class);

  private final ConcurrentLinkedQueue<Runnable> queue = new ConcurrentLinkedQueue<>();

  /** Tasks given and not yet finished; whoever raises it from 0 runs them all. */
  private final AtomicInteger pending = new AtomicInteger();

  @Override
  public void execute(Runnable task) {
    if (pending.compareAndSet(0, 1)) {
      run(task); // idle: run it now, then whatever arrived meanwhile
    } else {
      queue.add(task); // queued before counted, so a counted task is always in the queue
      if (pending.getAndIncrement() != 0) {
        return; // the running thread will run it
      }
      run(queue.poll());
    }
    while (pending.decrementAndGet() != 0) {
      run(queue.poll());
    }
  }

  private static void run(Runnable task) {
    try {
      task.run();
    } catch (RuntimeException e) {
      log.error("stream task failed", e);
    }
  }
}
