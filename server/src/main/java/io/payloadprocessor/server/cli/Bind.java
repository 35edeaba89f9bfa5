package io.payloadprocessor.server.cli;

import java.net.BindException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Locale;

/** Why a listening socket could not be opened, in words (not a stack trace). */
final class Bind {
  private Bind() {}

  static String describe(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof UnresolvedAddressException || t instanceof UnknownHostException) {
        return "the address cannot be resolved (give an IP address or a resolvable host name)";
      }
      // java.net.BindException, or Netty's native errors, which say the same in their message.
      String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
      if (m.contains("address already in use")) {
        return "address already in use (another process listens there; pick another port)";
      }
      if (m.contains("cannot assign requested address")) {
        return "this machine has no such address (use 127.0.0.1, 0.0.0.0 or one of its own)";
      }
      if (m.contains("permission denied")) {
        return "permission denied (ports below 1024 need privileges)";
      }
      if (t instanceof BindException) {
        return t.getMessage();
      }
    }
    Throwable root = e;
    while (root.getCause() != null) {
      root = root.getCause();
    }
    return root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
  }
}
