package io.payloadprocessor.jmh;

import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseParser;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/** Cost of parsing one typical OpenAI chat-completions SSE chunk. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SseParserBenchmark {
  private final byte[] chunk =
      ("data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
              + "\"delta\":{\"content\":\"Hello there, how can I help?\"}}]}\n\n")
          .getBytes(StandardCharsets.UTF_8);

  @Benchmark
  public List<SseEvent> parseOneChunk() throws SseParser.SseException {
    return new SseParser().feed(chunk);
  }
}
