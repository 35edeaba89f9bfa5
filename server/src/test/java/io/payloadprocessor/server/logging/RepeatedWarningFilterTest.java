package io.payloadprocessor.server.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RepeatedWarningFilterTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final LoggerContext lc = new LoggerContext();
  private final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  private RepeatedWarningFilter filter;
  private Logger log;

  @BeforeEach
  void setUp() {
    filter = new RepeatedWarningFilter(Duration.ofSeconds(10), 3, now::get);
    filter.setContext(lc);
    filter.start();
    lc.addTurboFilter(filter);
    lines.setContext(lc);
    lines.start();
    log = lc.getLogger("test");
    log.addAppender(lines);
  }

  @AfterEach
  void tearDown() {
    lc.stop();
  }

  @Test
  void aBurstPassesThenRepeatsAreCountedAndSummarised() {
    for (int i = 0; i < 20; i++) {
      log.warn("backend {} failed (request {})", "redis", "req-" + i);
    }
    assertThat(lines.list).hasSize(3);

    now.addAndGet(Duration.ofSeconds(11).toNanos());
    filter.flush();

    assertThat(lines.list).hasSize(4);
    ILoggingEvent summary = lines.list.get(3);
    assertThat(summary.getFormattedMessage())
        .startsWith("17 more lines like this were dropped in the last 10s")
        .endsWith("backend {} failed (request {})");
    assertThat(summary.getKeyValuePairs())
        .anySatisfy(
            kv -> {
              assertThat(kv.key).isEqualTo("suppressed");
              assertThat(kv.value).isEqualTo(17L);
            });
    assertThat(summary.getLevel()).isEqualTo(ch.qos.logback.classic.Level.WARN);
  }

  @Test
  void aNewWindowLetsTheBurstThroughAgainAndReportsTheLastOne() {
    for (int i = 0; i < 5; i++) {
      log.error("store down: {}", i);
    }
    now.addAndGet(Duration.ofSeconds(10).toNanos());
    log.error("store down: {}", 99);

    assertThat(lines.list)
        .extracting(ILoggingEvent::getFormattedMessage)
        .containsExactly(
            "store down: 0",
            "store down: 1",
            "store down: 2",
            "2 more lines like this were dropped in the last 10s (at most 3 per window): store"
                + " down: {}",
            "store down: 99");
  }

  @Test
  void differentTemplatesAndInfoLinesAreNotLimited() {
    for (int i = 0; i < 10; i++) {
      log.warn("first kind {}", i);
      log.warn("second kind {}", i);
      log.info("audit line {}", i);
    }
    assertThat(lines.list).hasSize(3 + 3 + 10);
  }

  @Test
  void idleTemplatesAreForgotten() {
    log.warn("once");
    now.addAndGet(Duration.ofSeconds(11).toNanos());
    filter.flush();
    assertThat(lines.list).hasSize(1);
    for (int i = 0; i < 3; i++) {
      log.warn("once");
    }
    assertThat(lines.list).hasSize(4);
  }
}
