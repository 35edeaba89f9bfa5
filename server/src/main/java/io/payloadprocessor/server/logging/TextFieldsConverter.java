package io.payloadprocessor.server.logging;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.payloadprocessor.logging.LogFields;
import java.util.List;
import java.util.Map;
import org.slf4j.event.KeyValuePair;

/**
 * {@code %fields} of the text log format: the exchange's MDC fields ({@code request_id}, {@code
 * trace_id}, {@code span_id}) and the line's key-value pairs, each as {@code key=value} (values
 * with spaces or quotes are quoted), CR/LF escaped. Logback's {@code %kvp} and {@code %X} neither
 * escape line breaks nor skip absent fields, hence this converter.
 */
public final class TextFieldsConverter extends ClassicConverter {
  private static final List<String> MDC_FIELDS =
      List.of(LogFields.REQUEST_ID, LogFields.TRACE_ID, LogFields.SPAN_ID);

  @Override
  public String convert(ILoggingEvent event) {
    StringBuilder sb = new StringBuilder();
    Map<String, String> mdc = event.getMDCPropertyMap();
    for (String key : MDC_FIELDS) {
      String v = mdc.get(key);
      if (v != null) {
        append(sb, key, v);
      }
    }
    List<KeyValuePair> kvps = event.getKeyValuePairs();
    if (kvps != null) {
      for (KeyValuePair kv : kvps) {
        append(sb, kv.key, kv.value);
      }
    }
    return sb.toString();
  }

  private static void append(StringBuilder sb, String key, Object value) {
    sb.append(' ').append(key).append('=');
    String v = String.valueOf(value);
    boolean quote =
        v.isEmpty() || v.indexOf(' ') >= 0 || v.indexOf('"') >= 0 || v.indexOf('=') >= 0;
    if (quote) {
      sb.append('"');
    }
    TextMessageConverter.escapeInto(sb, v, quote);
    if (quote) {
      sb.append('"');
    }
  }
}
