package io.payloadprocessor.envoysim;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.TextFormat;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The trace of one exchange (what Envoy's debug log would show): one timed line per event and
 * message, with credentials redacted and long bytes elided, since traces end up in test output.
 */
final class EnvoyDebugLog {
  private static final int TRACE_BODY_LIMIT = 200;

  private final boolean enabled;
  private final long startNanos;
  private final StringBuilder text = new StringBuilder();

  EnvoyDebugLog(boolean enabled, long startNanos) {
    this.enabled = enabled;
    this.startNanos = startNanos;
  }

  /** Whether lines are kept (summarising a message costs; callers skip it when not). */
  boolean enabled() {
    return enabled;
  }

  /** Adds a line with the time since the exchange started; nothing when tracing is off. */
  void note(String line) {
    if (!enabled) {
      return;
    }
    long ms = (System.nanoTime() - startNanos) / 1_000_000;
    text.append(String.format(Locale.ROOT, "%5d ms  %s%n", ms, line));
  }

  /** The lines so far. */
  String text() {
    return text.toString();
  }

  /** The message in text form with every bytes field longer than the limit elided. */
  static String summarize(Message m) {
    return TextFormat.printer().emittingSingleLine(true).printToString(elide(m));
  }

  private static final java.util.Set<String> SENSITIVE_HEADERS =
      java.util.Set.of(
          "authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key");

  private static Message elide(Message m) {
    if (m instanceof HeaderValue hv
        && SENSITIVE_HEADERS.contains(hv.getKey().toLowerCase(Locale.ROOT))) {
      // Traces end up in test failure output: never print credentials.
      return hv.toBuilder()
          .setValue(hv.getValue().isEmpty() ? "" : "<redacted>")
          .setRawValue(ByteString.copyFromUtf8("<redacted>"))
          .build();
    }
    Message.Builder b = m.toBuilder();
    for (Map.Entry<com.google.protobuf.Descriptors.FieldDescriptor, Object> e :
        m.getAllFields().entrySet()) {
      com.google.protobuf.Descriptors.FieldDescriptor f = e.getKey();
      if (f.isRepeated()) {
        if (f.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.MESSAGE
            && !f.isMapField()) {
          b.clearField(f);
          for (Object o : (List<?>) e.getValue()) {
            b.addRepeatedField(f, elide((Message) o));
          }
        }
        continue;
      }
      if (f.getJavaType() == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.MESSAGE) {
        b.setField(f, elide((Message) e.getValue()));
      } else if (f.getJavaType()
          == com.google.protobuf.Descriptors.FieldDescriptor.JavaType.BYTE_STRING) {
        ByteString bs = (ByteString) e.getValue();
        if (bs.size() > TRACE_BODY_LIMIT) {
          b.setField(f, ByteString.copyFromUtf8("<" + bs.size() + " bytes elided>"));
        }
      }
    }
    return b.build();
  }
}
