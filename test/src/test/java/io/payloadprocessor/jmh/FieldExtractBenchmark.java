package io.payloadprocessor.jmh;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.bodyfieldtoheader.FieldValue;
import io.payloadprocessor.modules.bodyfieldtoheader.JsonFieldPath;
import io.payloadprocessor.modules.bodyfieldtoheader.StreamingFieldExtractor;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.spi.BodyException;
import java.nio.charset.StandardCharsets;
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
 * Cost of finding {@code $.model} in a 1 MiB chat-completions body with the streaming extractor of
 * {@code body-field-to-header}, against parsing the whole tree. The body is a long conversation
 * (messages with a few KiB of text each); {@code model} comes last or first.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class FieldExtractBenchmark {
  private static final int SIZE = 1024 * 1024;

  private byte[] modelLast;
  private byte[] modelFirst;
  private final StreamingFieldExtractor whole =
      new StreamingFieldExtractor(
          JsonFieldPath.parse("$.model"), StreamingFieldExtractor.Scan.WHOLE);
  private final StreamingFieldExtractor untilField =
      new StreamingFieldExtractor(
          JsonFieldPath.parse("$.model"), StreamingFieldExtractor.Scan.UNTIL_FIELD);

  @Setup
  public void setUp() {
    StringBuilder messages = new StringBuilder("\"messages\":[");
    String text =
        "The quick brown fox jumps over the lazy dog; tell me more about it, please. ".repeat(40);
    int i = 0;
    while (messages.length() < SIZE - 200) {
      if (i > 0) {
        messages.append(',');
      }
      messages
          .append("{\"role\":\"")
          .append(i++ % 2 == 0 ? "user" : "assistant")
          .append("\",\"content\":\"")
          .append(text)
          .append("\"}");
    }
    messages.append(']');
    modelLast =
        ("{" + messages + ",\"temperature\":0.2,\"model\":\"gpt-4o\"}")
            .getBytes(StandardCharsets.UTF_8);
    modelFirst =
        ("{\"model\":\"gpt-4o\",\"temperature\":0.2," + messages + "}")
            .getBytes(StandardCharsets.UTF_8);
  }

  /** The headline number: model at the end, whole body validated. */
  @Benchmark
  public FieldValue modelAtEndOf1MiB() throws BodyException {
    return whole.extract(modelLast);
  }

  /** {@code scan: untilField} with model first: reads a few bytes. */
  @Benchmark
  public FieldValue modelFirstUntilField() throws BodyException {
    return untilField.extract(modelFirst);
  }

  /** Baseline: the shared tree parse every other processor uses. */
  @Benchmark
  public JsonNode treeParse1MiB() throws BodyException {
    return HttpMessage.parseJson(modelLast);
  }
}
