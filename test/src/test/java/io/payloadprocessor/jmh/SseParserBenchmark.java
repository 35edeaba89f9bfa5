package io.payloadprocessor.jmh;

import io.payloadprocessor.runtime.SseParser;
import io.payloadprocessor.spi.SseEvent;
import java.io.ByteArrayOutputStream;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * Cost of parsing server-sent events: one typical OpenAI chat-completions chunk with a fresh parser
 * ({@link #parseOneChunk}), and a whole 400-event stream (about 80 KB) fed to one parser as it
 * arrives from Envoy in 1 KiB chunks ({@link #parseStreamIn1KiBChunks}) or whole, as a buffered
 * body ({@link #parseStreamWhole}). The output keeps every byte (events plus the bytes between
 * them), which is what the relay writes back.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SseParserBenchmark {
  private static final String EVENT =
      "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
          + "\"delta\":{\"content\":\"Hello there, how can I help?\"}}]}\n\n";
  private final byte[] chunk = EVENT.getBytes(StandardCharsets.UTF_8);
  private final byte[] stream = stream();
  private final byte[][] chunks = split(stream, 1024);

  private static byte[] stream() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < 400; i++) {
      out.writeBytes(EVENT.getBytes(StandardCharsets.UTF_8));
    }
    out.writeBytes("data: [DONE]\n\n".getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  private static byte[][] split(byte[] all, int size) {
    byte[][] out = new byte[(all.length + size - 1) / size][];
    for (int i = 0; i < out.length; i++) {
      int from = i * size;
      out[i] = java.util.Arrays.copyOfRange(all, from, Math.min(all.length, from + size));
    }
    return out;
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.NANOSECONDS)
  public List<SseEvent> parseOneChunk() throws SseParser.SseException {
    return new SseParser().feed(chunk);
  }

  @Benchmark
  public void parseStreamIn1KiBChunks(Blackhole bh) throws SseParser.SseException {
    SseParser parser = new SseParser();
    for (byte[] c : chunks) {
      bh.consume(parser.feed(c));
    }
    bh.consume(parser.finish());
  }

  @Benchmark
  public void parseStreamWhole(Blackhole bh) throws SseParser.SseException {
    SseParser parser = new SseParser();
    bh.consume(parser.feed(stream));
    bh.consume(parser.finish());
  }
}
