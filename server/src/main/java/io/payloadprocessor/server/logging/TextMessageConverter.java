package io.payloadprocessor.server.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %safeMsg} of the text log format: the formatted message with CR, LF and other control
 * characters written as escapes ({@code \r}, {@code \n}, {@code \u001b}), so that no value in a
 * message can start a line of its own or drive a terminal.
 */
public final class TextMessageConverter extends ClassicConverter {
  @Override
  public String convert(ILoggingEvent event) {
    String msg = event.getFormattedMessage();
    if (msg == null) {
      return "";
    }
    StringBuilder sb = new StringBuilder(msg.length() + 16);
    escapeInto(sb, msg, false);
    return sb.toString();
  }

  /**
   * Appends {@code s} with control characters (and, inside quotes, {@code "} and {@code \})
   * escaped.
   */
  static void escapeInto(StringBuilder sb, String s, boolean quoted) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '"', '\\' -> {
          if (quoted) {
            sb.append('\\');
          }
          sb.append(c);
        }
        default -> {
          if (c < 0x20 || c == 0x7f || c == '\u2028' || c == '\u2029' || c == '\u0085') {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
  }
}
