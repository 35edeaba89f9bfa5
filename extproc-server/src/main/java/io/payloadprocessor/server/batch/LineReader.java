package io.payloadprocessor.server.batch;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/**
 * Reads a JSONL stream as byte lines, each at most {@code maxLineBytes} long. Written by hand
 * because {@link java.io.BufferedReader#readLine()} has no length bound (one huge line would be
 * buffered whole) and decodes to chars that the JSON parser would encode back; here a line stays
 * bytes and an over-long line is skipped to its end and reported, in constant memory.
 */
final class LineReader implements AutoCloseable {
  /** One line: its 1-based number, its bytes (no line terminator), or null when too long. */
  record Line(long number, byte[] bytes, long length) {
    boolean tooLong() {
      return bytes == null;
    }
  }

  private final InputStream in;
  private final int maxLineBytes;
  private final byte[] buf = new byte[1 << 16];
  private int pos;
  private int end;
  private long lineNumber;
  private long bytesRead;
  private byte[] line = new byte[1024];

  LineReader(InputStream in, int maxLineBytes) {
    this.in = in;
    this.maxLineBytes = maxLineBytes;
  }

  /** Bytes consumed so far (for progress). */
  long bytesRead() {
    return bytesRead;
  }

  /** The next line, or null at the end of the stream. A final line without LF is returned. */
  Line next() throws IOException {
    int len = 0;
    long total = 0;
    boolean any = false;
    while (true) {
      if (pos == end) {
        end = in.read(buf, 0, buf.length);
        pos = 0;
        if (end <= 0) {
          end = 0;
          if (!any) {
            return null;
          }
          return finish(len, total);
        }
        bytesRead += end;
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
        return finish(len, total);
      }
    }
  }

  private Line finish(int len, long total) {
    lineNumber++;
    if (total > maxLineBytes) {
      return new Line(lineNumber, null, total);
    }
    if (len > 0 && line[len - 1] == '\r') {
      len--; // CRLF files
    }
    byte[] bytes = Arrays.copyOf(line, len);
    if (line.length > (1 << 20)) {
      line = new byte[1024]; // do not keep one huge line's buffer for the rest of the file
    }
    return new Line(lineNumber, bytes, total);
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
