package io.payloadprocessor.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.payloadprocessor.spi.BodyException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class HttpMessageDecodeTest {
  static byte[] gzip(byte[] data) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(data);
    }
    return out.toByteArray();
  }

  static byte[] deflate(byte[] data, boolean raw) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (DeflaterOutputStream d =
        new DeflaterOutputStream(out, new Deflater(Deflater.BEST_COMPRESSION, raw))) {
      d.write(data);
    }
    return out.toByteArray();
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  static final byte[] JSON =
      "{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}".getBytes(StandardCharsets.UTF_8);

  static BodyException refused(byte[] raw, String encoding) {
    Throwable t =
        org.assertj.core.api.Assertions.catchThrowable(() -> HttpMessage.decode(raw, encoding));
    assertThat(t).isInstanceOf(BodyException.class);
    return (BodyException) t;
  }

  @Test
  void gzipZlibAndRawDeflateDecode() throws Exception {
    assertThat(HttpMessage.decode(gzip(JSON), "gzip")).isEqualTo(JSON);
    assertThat(HttpMessage.decode(gzip(JSON), " X-GZIP ")).isEqualTo(JSON);
    assertThat(HttpMessage.decode(deflate(JSON, false), "deflate")).isEqualTo(JSON);
    assertThat(HttpMessage.decode(deflate(JSON, true), "deflate")).isEqualTo(JSON);
    assertThat(HttpMessage.decode(JSON, "identity")).isEqualTo(JSON);
  }

  @Test
  void concatenatedGzipMembersAreOneBody() throws Exception {
    byte[] a = "{\"a\":".getBytes(StandardCharsets.UTF_8);
    byte[] b = "1}".getBytes(StandardCharsets.UTF_8);
    assertThat(HttpMessage.decode(concat(gzip(a), gzip(b)), "gzip"))
        .isEqualTo("{\"a\":1}".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void bytesAfterTheCompressedStreamAreAnError() throws Exception {
    byte[] garbage =
        " {\"messages\":[{\"role\":\"user\",\"content\":\"4111 1111 1111 1111\"}]}"
            .getBytes(StandardCharsets.UTF_8);
    for (byte[] body :
        new byte[][] {
          concat(gzip(JSON), garbage),
          concat(gzip(JSON), new byte[] {0}),
          concat(deflate(JSON, false), garbage),
          concat(deflate(JSON, true), garbage)
        }) {
      String enc = (body[0] & 0xff) == 0x1f ? "gzip" : "deflate";
      BodyException e = refused(body, enc);
      assertThat(e.status()).isEqualTo(415);
      assertThat(e.reason()).isEqualTo("undecodable_body");
    }
  }

  @Test
  void truncatedOrCorruptDataIsAnError() throws Exception {
    byte[] gz = gzip(JSON);
    assertThat(refused(Arrays.copyOf(gz, gz.length - 4), "gzip").status()).isEqualTo(415);
    assertThat(refused(Arrays.copyOf(gz, gz.length / 2), "gzip").status()).isEqualTo(415);
    byte[] badCrc = gz.clone();
    badCrc[badCrc.length - 8] ^= 1;
    assertThat(refused(badCrc, "gzip").reason()).isEqualTo("undecodable_body");
    assertThat(refused(JSON, "gzip").reason()).isEqualTo("undecodable_body");
    assertThat(refused(gz, "br").reason()).isEqualTo("unsupported_content_encoding");
  }

  @Test
  void aDecompressionBombIsRefusedAtTheRatioLimitNotAfterInflating() throws Exception {
    byte[] bomb = gzip(new byte[15_000_000]); // ~15 KB that inflates to 15 MB
    assertThat(bomb.length).isLessThan(30_000);
    BodyException e = refused(bomb, "gzip");
    assertThat(e.status()).isEqualTo(413);
    assertThat(e.reason()).isEqualTo("decoded_body_too_large");
    // The limit is 100 times the encoded size (above the 1 MiB floor), far below 15 MB.
    long limit = Math.max(HttpMessage.RATIO_FLOOR_BYTES, 100L * bomb.length);
    assertThat(e.getMessage()).contains("more than " + limit + " bytes");
    // A small, very repetitive body is fine: the ratio applies above the floor only.
    assertThat(HttpMessage.decode(gzip(new byte[1_000_000]), "gzip")).hasSize(1_000_000);
    // The absolute cap holds whatever the ratio.
    byte[] random = new byte[HttpMessage.MAX_DECODED_BYTES + 1];
    new java.util.Random(1).nextBytes(random);
    assertThat(refused(deflate(random, false), "deflate").status()).isEqualTo(413);
  }

  @Test
  void inflatingStopsWhenTheThreadIsInterrupted() throws Exception {
    byte[] big = gzip(new byte[900_000]);
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> HttpMessage.decode(big, "gzip"))
          .isInstanceOf(CancellationException.class);
    } finally {
      Thread.interrupted();
    }
  }
}
