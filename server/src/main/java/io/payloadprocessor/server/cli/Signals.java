package io.payloadprocessor.server.cli;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT handled by the server rather than by the JVM's default, which runs the
 * shutdown hooks and then exits 143 (or 130) even after a clean drain, so Kubernetes and systemd
 * would record every normal stop as a failure. {@code sun.misc.Signal} (module jdk.unsupported) is
 * the only way to do this in the JDK; if it is unavailable the JVM's default stays.
 */
final class Signals {
  private Signals() {}

  /** Runs {@code action} on SIGTERM and SIGINT (on the JVM's signal thread: keep it short). */
  @SuppressWarnings("removal") // no replacement for sun.misc.Signal exists
  static boolean onTermination(Runnable action) {
    try {
      Signal.handle(new Signal("TERM"), sig -> action.run());
      Signal.handle(new Signal("INT"), sig -> action.run());
      return true;
    } catch (IllegalArgumentException | UnsupportedOperationException e) {
      return false;
    }
  }
}
