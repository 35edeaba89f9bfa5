package io.payloadprocessor.spark;

import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.batch.BatchReport;
import io.payloadprocessor.server.batch.BatchRun;
import io.payloadprocessor.server.batch.LineReader;
import io.payloadprocessor.server.batch.LineResult;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.FlatMapFunction;
import scala.Tuple2;

/**
 * Runs the lines of one partition through the executor's pipeline, lazily (one line in memory at a
 * time), and ends the partition with its report. A {@link BatchRun} per partition keeps the report
 * exact when Spark re-runs a task: only the attempt that succeeds counts.
 */
final class PartitionRunner
    implements FlatMapFunction<Iterator<Tuple2<LineReader.Line, Long>>, LineOutcome> {
  private static final long serialVersionUID = 1L;

  private final PipelineSpec spec;

  PartitionRunner(PipelineSpec spec) {
    this.spec = spec;
  }

  @Override
  public Iterator<LineOutcome> call(Iterator<Tuple2<LineReader.Line, Long>> lines) {
    PipelineSpec.Loaded loaded = spec.pipeline();
    BatchRun run = new BatchRun(loaded.pipeline(), spec.options(), loaded.scheduler());
    BatchReport report = new BatchReport(spec.options().mode());
    return new Iterator<>() {
      private LineOutcome next;
      private boolean reported;

      @Override
      public boolean hasNext() {
        while (next == null && lines.hasNext()) {
          Tuple2<LineReader.Line, Long> t = lines.next();
          LineResult r = run.process(t._1().withNumber(t._2() + 1));
          report.add(r);
          if (r.output() != null) {
            next = new LineOutcome(LineOutcome.Kind.OUTPUT, r.output());
          } else if (r.reject() != null) {
            next = new LineOutcome(LineOutcome.Kind.REJECT, r.reject());
          }
        }
        if (next == null && !reported) {
          reported = true;
          report.addProcessorOutcomes(run.processorOutcomes());
          try {
            next =
                new LineOutcome(
                    LineOutcome.Kind.REPORT, HttpMessage.JSON.writeValueAsBytes(report.toJson()));
          } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a report", e);
          }
        }
        return next != null;
      }

      @Override
      public LineOutcome next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        LineOutcome o = next;
        next = null;
        return o;
      }
    };
  }
}
