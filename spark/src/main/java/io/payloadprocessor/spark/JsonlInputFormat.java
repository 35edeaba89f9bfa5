package io.payloadprocessor.spark;

import io.payloadprocessor.server.batch.LineReader;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.JobContext;
import org.apache.hadoop.mapreduce.RecordReader;
import org.apache.hadoop.mapreduce.TaskAttemptContext;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;

/**
 * JSONL files as the CLI's {@link LineReader} reads them, split across tasks: only LF ends a line,
 * a CR before it is dropped, and a line over the limit is skipped to its end in constant memory and
 * reported (Hadoop's {@code TextInputFormat} also ends lines at a lone CR, and silently drops lines
 * over its limit, so it would number and reject lines differently from the CLI).
 *
 * <p>A split owns the lines that start inside it: it skips to the first line start at or after its
 * start and reads on past its end to finish its last line. Compressed files (any Hadoop codec) are
 * read whole by one task. Keys are the line's offset in its file; line numbers are assigned later,
 * across all files.
 */
public final class JsonlInputFormat extends FileInputFormat<LongWritable, LineReader.Line> {
  /** Configuration key of the longest line read whole, in bytes. */
  public static final String MAX_LINE_BYTES = "payloadprocessor.batch.max-line-bytes";

  @Override
  protected boolean isSplitable(JobContext context, Path file) {
    return new CompressionCodecFactory(context.getConfiguration()).getCodec(file) == null;
  }

  @Override
  public RecordReader<LongWritable, LineReader.Line> createRecordReader(
      InputSplit split, TaskAttemptContext context) {
    return new Reader();
  }

  /** Reads the lines of one split. */
  static final class Reader extends RecordReader<LongWritable, LineReader.Line> {
    private InputStream in;
    private LineReader lines;
    private long start;
    private long end;
    private boolean whole;
    private LongWritable key;
    private LineReader.Line value;

    @Override
    public void initialize(InputSplit genericSplit, TaskAttemptContext context) throws IOException {
      FileSplit split = (FileSplit) genericSplit;
      Configuration conf = context.getConfiguration();
      int max = conf.getInt(MAX_LINE_BYTES, 64 << 20);
      Path file = split.getPath();
      FileSystem fs = file.getFileSystem(conf);
      FSDataInputStream raw = fs.open(file);
      CompressionCodec codec = new CompressionCodecFactory(conf).getCodec(file);
      start = split.getStart();
      end = start + split.getLength();
      if (codec != null) {
        whole = true;
        in = codec.createInputStream(raw);
        lines = new LineReader(in, max);
        return;
      }
      in = raw;
      if (start == 0) {
        lines = new LineReader(in, max);
        return;
      }
      // The line that contains byte start-1 belongs to the split before; ours begin after it.
      raw.seek(start - 1);
      LineReader skip = new LineReader(in, 0, start - 1, 0);
      skip.next();
      long next = skip.offset();
      raw.seek(next);
      lines = new LineReader(in, max, next, 0);
    }

    @Override
    public boolean nextKeyValue() throws IOException {
      long at = lines.offset();
      if (!whole && at >= end) {
        return false;
      }
      LineReader.Line l = lines.next();
      if (l == null) {
        return false;
      }
      key = new LongWritable(at);
      value = l;
      return true;
    }

    @Override
    public LongWritable getCurrentKey() {
      return key;
    }

    @Override
    public LineReader.Line getCurrentValue() {
      return value;
    }

    @Override
    public float getProgress() {
      if (whole || end == start) {
        return 0;
      }
      return Math.min(1f, (lines.offset() - start) / (float) (end - start));
    }

    @Override
    public void close() throws IOException {
      if (in != null) {
        in.close();
      }
    }
  }
}
