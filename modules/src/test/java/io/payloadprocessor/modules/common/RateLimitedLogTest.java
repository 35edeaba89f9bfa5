package io.payloadprocessor.modules.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.AbstractLogger;
import org.slf4j.helpers.MessageFormatter;

class RateLimitedLogTest {
  /** Keeps the formatted WARN lines. */
  private static final class Lines extends AbstractLogger {
    private static final long serialVersionUID = 1L;
    final List<String> lines = new ArrayList<>();

    @Override
    protected String getFullyQualifiedCallerName() {
      return null;
    }

    @Override
    protected void handleNormalizedLoggingCall(
        Level level, Marker marker, String format, Object[] args, Throwable t) {
      lines.add(level + " " + MessageFormatter.basicArrayFormat(format, args));
    }

    @Override
    public boolean isTraceEnabled() {
      return false;
    }

    @Override
    public boolean isTraceEnabled(Marker marker) {
      return false;
    }

    @Override
    public boolean isDebugEnabled() {
      return false;
    }

    @Override
    public boolean isDebugEnabled(Marker marker) {
      return false;
    }

    @Override
    public boolean isInfoEnabled() {
      return true;
    }

    @Override
    public boolean isInfoEnabled(Marker marker) {
      return true;
    }

    @Override
    public boolean isWarnEnabled() {
      return true;
    }

    @Override
    public boolean isWarnEnabled(Marker marker) {
      return true;
    }

    @Override
    public boolean isErrorEnabled() {
      return true;
    }

    @Override
    public boolean isErrorEnabled(Marker marker) {
      return true;
    }
  }

  private final Lines log = new Lines();
  private final AtomicLong now = new AtomicLong();
  private final RateLimitedLog limited = new RateLimitedLog(log, Duration.ofSeconds(10), now::get);

  @Test
  void aRepeatedWarningIsLoggedOncePerIntervalWithTheCountOfTheRest() {
    for (int i = 0; i < 1000; i++) {
      limited.warn("redis-down", "cache: redis at {} is unreachable", "127.0.0.1:6379");
      now.addAndGet(Duration.ofMillis(1).toNanos()); // 1,000 a second
    }
    assertThat(log.lines).containsExactly("WARN cache: redis at 127.0.0.1:6379 is unreachable");
    assertThat(limited.suppressed("redis-down")).isEqualTo(999);
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    assertThat(limited.warn("redis-down", "cache: redis at {} is unreachable", "127.0.0.1:6379"))
        .isTrue();
    assertThat(log.lines)
        .last()
        .isEqualTo(
            "WARN cache: redis at 127.0.0.1:6379 is unreachable"
                + " (999 similar warnings suppressed since the previous one)");
    assertThat(limited.suppressed("redis-down")).isZero();
  }

  @Test
  void kindsAreLimitedSeparately() {
    assertThat(limited.warn("a", "first a")).isTrue();
    assertThat(limited.warn("b", "first b")).isTrue();
    assertThat(limited.warn("a", "second a")).isFalse();
    assertThat(log.lines).containsExactly("WARN first a", "WARN first b");
  }
}
