package io.payloadprocessor.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * Logging set-up: to stderr, as text or one JSON object per line. Nothing in this project logs
 * bodies or header values; keep it that way.
 */
public final class Logging {
  private Logging() {}

  public static void configure(boolean json, String level) {
    LoggerContext lc = (LoggerContext) LoggerFactory.getILoggerFactory();
    lc.reset();
    Encoder<ILoggingEvent> encoder;
    if (json) {
      JsonEncoder je = new JsonEncoder();
      je.setWithSequenceNumber(false);
      je.setWithContext(false);
      je.setWithArguments(false);
      encoder = je;
    } else {
      PatternLayoutEncoder pe = new PatternLayoutEncoder();
      pe.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSX} %-5level [%thread] %logger{20} - %msg%n");
      encoder = pe;
    }
    encoder.setContext(lc);
    encoder.start();
    ConsoleAppender<ILoggingEvent> appender = new ConsoleAppender<>();
    appender.setContext(lc);
    appender.setTarget("System.err");
    appender.setEncoder(encoder);
    appender.start();
    ch.qos.logback.classic.Logger root = lc.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.addAppender(appender);
    root.setLevel(Level.toLevel(level, Level.INFO));
    // grpc-java logs through java.util.logging.
    SLF4JBridgeHandler.removeHandlersForRootLogger();
    SLF4JBridgeHandler.install();
    lc.getLogger("io.grpc").setLevel(Level.WARN);
    lc.getLogger("io.grpc.netty").setLevel(Level.WARN);
    // The embedding runtime probes for GPUs and logs its platform at WARN/INFO on every start.
    lc.getLogger("ai.djl").setLevel(Level.ERROR);
  }
}
