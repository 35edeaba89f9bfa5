package io.payloadprocessor.jmh;

import io.payloadprocessor.modules.pii.Detector;
import io.payloadprocessor.modules.pii.Detectors;
import io.payloadprocessor.modules.pii.Finding;
import io.payloadprocessor.modules.pii.PiiAction;
import io.payloadprocessor.modules.pii.PiiFactory;
import io.payloadprocessor.modules.pii.PiiRule;
import io.payloadprocessor.modules.pii.PiiScanner;
import io.payloadprocessor.modules.testing.TestContext;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * PII scanning cost. {@link #scanOneMiB} scans exactly 1 MiB of chat-like text with every built-in
 * detector, so its score in ops/s is the throughput in MiB/s. {@link #sseMaskOneChunk} is the cost
 * of masking one typical OpenAI chat-completion chunk on a live stream (parse, hold back, scan the
 * window, re-emit), in microseconds per chunk. Run with {@code test/bench/jmh.sh PiiScan}.
 */
@State(Scope.Thread)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PiiScanBenchmark {
  static final int MIB = 1 << 20;

  private PiiScanner scanner;
  private String text;
  private SseStreamProcessor stream;
  private SseEvent chunk;

  @Setup
  public void setUp() throws Exception {
    List<PiiRule> rules = new ArrayList<>();
    for (String name : Detectors.builtinNames()) {
      Detector d = Detectors.builtin(name);
      rules.add(new PiiRule(d, PiiAction.MASK, false, "[" + d.label() + "]"));
    }
    scanner = new PiiScanner(rules);
    String[] pieces = {
      "Thanks for reaching out about order 4471 placed on 2024-03-11. ",
      "Our support team replied at 10:30 and will call you back tomorrow. ",
      "The shipment left the warehouse in Rotterdam and is on its way. ",
      "Contact jane.doe@example.com or +44 20 7946 0958 if anything changes. ",
      "Version 1.2.3 of the app fixes the login issue you reported last week. ",
      "Please do not share card numbers such as 4111 1111 1111 1111 in chat. "
    };
    StringBuilder sb = new StringBuilder(MIB + 128);
    for (int i = 0; sb.length() < MIB; i++) {
      sb.append(pieces[i % pieces.length]);
    }
    text = sb.substring(0, MIB);

    Processor pii =
        new PiiFactory()
            .create(
                "bench",
                HttpMessage.JSON.readTree(
                    "{\"detectors\":[{\"type\":\"email\"},{\"type\":\"phone\"},"
                        + "{\"type\":\"payment_card\"},{\"type\":\"us_ssn\"},{\"type\":\"iban\"}]}"),
                new TestContext());
    Exchange ex =
        new MutableExchange("r", new HttpMessage(new Headers(), new byte[0], false), Map.of());
    stream = pii.openSseStream(ex);
    chunk =
        SseEvent.data(
            "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                + "\" the quick brown fox jumps\"},\"finish_reason\":null}]}");
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  public List<Finding> scanOneMiB() {
    return scanner.scan(text);
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public StreamStep sseMaskOneChunk() {
    return stream.onEvent(chunk);
  }
}
