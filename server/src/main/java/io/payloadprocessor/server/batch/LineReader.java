package io.payloadprocessor.server.batch;

import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.Arrays;

/**
 * Reads a JSONL stream as byte lines, each at most {@code maxLineBytes} long. Written by hand
 * because {@link java.io.BufferedReader#readLine()} has no length bound (one huge line would be
 * buffered whole) and decodes to chars that the JSON parser would encode back; here a line stays
 * bytes and an over-long line is skipped to its end and reported, in constant memory. Only LF ends
 * a line (a CR before it is dropped), as in the CLI and the Spark job alike, so both see the same
 * lines.
 */
public final class LineReader implements AutoCloseable {
  /** Bytes kept from the start of a too-long line, enough to find its {@code custom_id}. */
  static final int PREFIX_BYTES = 64 << 10;

  /**
   * One line.
   *
   * @param number its 1-based number
   * @param bytes its bytes without the line terminator, or null when it is too long
   * @param length its length in bytes (without LF)
   * @param end the stream offset just past its terminator: where the next line starts
   * @param prefix for a too-long line, its first {@link #PREFIX_BYTES} bytes; else null
   */
  public record Line(long number, byte[] bytes, long length, long end, byte[] prefix)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A line that was read whole. */
    public static Line of(long number, byte[] bytes, long end) {
      return new Line(number, bytes, bytes.length, end, null);
    }

    public boolean tooLong() {
      return bytes == null;
    }

    /** The same line under another number (the Spark job numbers lines after reading them). */
    public Line withNumber(long n) {
      return new Line(n, bytes, length, end, prefix);
    }
  }

  private final InputStream in;
  private final int maxLineBytes;
  private final byte[] buf = new byte[1 << 16];
  private int pos;
  private int end;
  private long lineNumber;
  private long offset;
  private byte[] line = new byte[1024];

  public LineReader(InputStream in, int maxLineBytes) {
    this(in, maxLineBytes, 0, 0);
  }

  /**
   * A reader of a stream positioned at {@code startOffset} of its file, whose first line is line
   * {@code lastLine + 1}.
   */
  public LineReader(InputStream in, int maxLineBytes, long startOffset, long lastLine) {
    this.in = in;
    this.maxLineBytes = maxLineBytes;
    this.offset = startOffset;
    this.lineNumber = lastLine;
  }

  /** The offset of the next line: every byte before it has been returned in a line. */
  public long offset() {
    return offset;
  }

  /** The number of the last line returned (or of the line before the first one). */
  public long lastLine() {
    return lineNumber;
  }

  /** The next line, or null at the end of the stream. A final line without LF is returned. */
  public Line next() throws IOException {
    int len = 0;
    long total = 0;
    boolean any = false;
    byte[] prefix = null;
    while (true) {
      if (pos == end) {
        end = in.read(buf, 0, buf.length);
        pos = 0;
        if (end <= 0) {
          end = 0;
          if (!any) {
            return null;
          }
          return finish(len, total, false, prefix);
        }
      }
      any = true;
      int start = pos;
      int lf = -1;
      for (int i = pos; i < end; i++) {
        if (buf[i] == '\n') {
          lf = i;
          break;
        }
      }
      int stop = lf < 0 ? end : lf;
      int n = stop - start;
      if (total + n > maxLineBytes && prefix == null) {
        // The line just became too long: keep its start for the rejection record, drop the rest.
        int keep = Math.min(PREFIX_BYTES, len);
        prefix = Arrays.copyOf(line, keep);
        if (keep < PREFIX_BYTES) {
          int more = Math.min(PREFIX_BYTES - keep, n);
          prefix = Arrays.copyOf(prefix, keep + more);
          System.arraycopy(buf, start, prefix, keep, more);
        }
      }
      total += n;
      if (total <= maxLineBytes) {
        if (len + n > line.length) {
          line = Arrays.copyOf(line, Math.max(len + n, Math.min(line.length * 2, maxLineBytes)));
        }
        System.arraycopy(buf, start, line, len, n);
        len += n;
      }
      pos = lf < 0 ? end : lf + 1;
      if (lf >= 0) {
        return finish(len, total, true, prefix);
      }
    }
  }

  private Line finish(int len, long total, boolean lf, byte[] prefix) {
    lineNumber++;
    offset += total + (lf ? 1 : 0);
    if (total > maxLineBytes) {
      return new Line(lineNumber, null, total, offset, prefix);
    }
    if (len > 0 && line[len - 1] == '\r') {
      len--; // CRLF files
    }
    byte[] bytes = Arrays.copyOf(line, len);
    if (line.length > (1 << 20)) {
      line = new byte[1024]; // do not keep one huge line's buffer for the rest of the file
    }
    return new Line(lineNumber, bytes, total, offset, null);
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
