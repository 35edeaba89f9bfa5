package io.payloadprocessor.server.cli;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * SIGTERM and SIGINT handled by the server rather than by the JVM's default, which runs the
 * shutdown hooks and then exits 143 (or 130) even after a clean drain, so Kubernetes and systemd
 * would record every normal stop as a failure. {@code sun.misc.Signal} (module jdk.unsupported) is
 * the only way to do this in the JDK; if it is unavailable the JVM's default stays. It is reached
 * by reflection because javac's "internal proprietary API" warning cannot be suppressed, and the
 * build treats every warning as an error.
 */
final class Signals {
  private Signals() {}

  /** Runs {@code action} on SIGTERM and SIGINT (on the JVM's signal thread: keep it short). */
  static boolean onTermination(Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
      Constructor<?> named = signal.getConstructor(String.class);
      Method handle = signal.getMethod("handle", signal, handlerType);
      Object handler =
          Proxy.newProxyInstance(
              Signals.class.getClassLoader(),
              new Class<?>[] {handlerType},
              (proxy, method, args) -> {
                if (method.getName().equals("handle")) {
                  action.run();
                  return null;
                }
                // Object's methods on the proxy itself (toString, hashCode, equals).
                return switch (method.getName()) {
                  case "hashCode" -> System.identityHashCode(proxy);
                  case "equals" -> proxy == args[0];
                  default -> "termination handler";
                };
              });
      handle.invoke(null, named.newInstance("TERM"), handler);
      handle.invoke(null, named.newInstance("INT"), handler);
      return true;
    } catch (ReflectiveOperationException | IllegalArgumentException | LinkageError e) {
      // Includes the IllegalArgumentException a JVM throws for a signal it reserves.
      return false;
    }
  }
}
