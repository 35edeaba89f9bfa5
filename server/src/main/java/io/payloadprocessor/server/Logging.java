package io.payloadprocessor.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.LayoutWrappingEncoder;
import io.payloadprocessor.logging.LogFields;
import io.payloadprocessor.server.logging.RepeatedWarningFilter;
import io.payloadprocessor.server.logging.TextFieldsConverter;
import io.payloadprocessor.server.logging.TextMessageConverter;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.fieldnames.LogstashFieldNames;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Logging set-up: to stderr, as text or one JSON object per line ({@code --log-format json}).
 *
 * <p>JSON lines come from logstash-logback-encoder: {@code @timestamp} (ISO-8601 with offset),
 * {@code level}, {@code logger_name}, {@code thread_name}, {@code message} (formatted, arguments
 * filled in), the MDC ({@code request_id}, later {@code trace_id}/{@code span_id}) and every
 * key-value pair added with SLF4J's fluent API as top-level fields ({@link LogFields} names them),
 * and {@code stack_trace}. Text lines carry the same: {@code TIME LEVEL [thread] logger - message
 * key="value"...}; CR and LF inside a message or field are written as {@code \r}/{@code \n}, so a
 * value can never start a forged line (JSON escapes them anyway).
 *
 * <p>WARN and ERROR lines repeating one message template are rate-limited ({@link
 * RepeatedWarningFilter}: 5 per template per 10 s, then one summary line with the count).
 *
 * <p>Nothing in this project logs bodies or header values; keep it that way ({@link LogFields}).
 */
public final class Logging {
  /** The levels {@code --log-level} accepts. */
  public static final List<String> LEVELS =
      List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  /**
   * Text layout: {@code %safeMsg} and {@code %fields} escape CR/LF; only stack traces (from
   * exceptions, not from traffic) span several lines.
   */
  static final String TEXT_PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{20} - %safeMsg%fields%n";

  private Logging() {}

  /** The logback level for a {@code --log-level} value (case-insensitive). */
  public static Level parseLevel(String level) {
    String upper = level == null ? "" : level.strip().toUpperCase(Locale.ROOT);
    if (upper.equals("WARNING")) {
      upper = "WARN";
    }
    if (!LEVELS.contains(upper)) {
      throw new IllegalArgumentException(
          "log level must be one of " + String.join(", ", LEVELS) + ", got '" + level + "'");
    }
    return Level.toLevel(upper);
  }

  /**
   * Logs to stderr at {@code level}.
   *
   * @throws IllegalArgumentException when {@code level} is not one of {@link #LEVELS}
   */
  public static void configure(boolean json, String level) {
    configure(json, parseLevel(level), null, true);
  }

  /**
   * Logs to {@code out} (stderr when null) at {@code level}, with or without the limit on repeated
   * warnings; tests capture every line this way.
   */
  public static void configure(boolean json, Level level, OutputStream out, boolean limitRepeats) {
    LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
    lc.reset();
    Encoder<ILoggingEvent> encoder = json ? jsonEncoder() : textEncoder(lc);
    encoder.setContext(lc);
    encoder.start();
    OutputStreamAppender<ILoggingEvent> appender;
    if (out == null) {
      ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
      console.setTarget("System.err");
      appender = console;
    } else {
      appender = new OutputStreamAppender<>();
      appender.setOutputStream(out);
    }
    appender.setContext(lc);
    appender.setName(json ? "json" : "text");
    appender.setEncoder(encoder);
    appender.setImmediateFlush(true);
    appender.start();
    if (limitRepeats) {
      RepeatedWarningFilter limiter = new RepeatedWarningFilter();
      limiter.setContext(lc);
      limiter.start();
      lc.addTurboFilter(limiter);
    }
    ch.qos.logback.classic.Logger root = lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    root.setLevel(level);
    // grpc-java logs through java.util.logging.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    lc.getLogger("io.grpc").setLevel(Level.WARN);
    lc.getLogger("io.grpc.netty").setLevel(Level.WARN);
    // The embedding runtime probes for GPUs and logs its platform at WARN/INFO on every start.
    lc.getLogger("ai.djl").setLevel(Level.ERROR);
  }

  private static Encoder<ILoggingEvent> jsonEncoder() {
    LogstashEncoder encoder = new LogstashEncoder();
    LogstashFieldNames names = encoder.getFieldNames();
    names.setVersion("[ignore]");
    names.setLevelValue("[ignore]");
    // Positional arguments are already in the message; only structured ones become fields.
    encoder.setIncludeNonStructuredArguments(false);
    encoder.setIncludeStructuredArguments(true);
    encoder.setIncludeKeyValuePairs(true);
    encoder.setIncludeMdc(true);
    encoder.setIncludeContext(false);
    return encoder;
  }

  private static Encoder<ILoggingEvent> textEncoder(LoggerContext lc) {
    PatternLayout layout = new PatternLayout();
    layout.getInstanceConverterMap().put("safeMsg", TextMessageConverter::new);
    layout.getInstanceConverterMap().put("fields", TextFieldsConverter::new);
    layout.setPattern(TEXT_PATTERN);
    layout.setContext(lc);
    layout.start();
    LayoutWrappingEncoder<ILoggingEvent> encoder = new LayoutWrappingEncoder<>();
    encoder.setLayout(layout);
    return encoder;
  }
}
