package io.payloadprocessor.envoysim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The value model: defaults, chunking, config validation, header syntax checks. */
class EnvoySimModelTest {
  @Test
  void requestDefaultsPseudoHeadersAndContentLength() {
    HttpRequest r =
        HttpRequest.builder().header("X-A", "1").header(":path", "/p").body("abc").build();

    assertThat(r.headers())
        .extracting(Header::name)
        .containsExactly(":method", ":path", ":authority", ":scheme", "x-a", "content-length");
    assertThat(r.header(":method")).isEqualTo("POST");
    assertThat(r.header(":path")).isEqualTo("/p");
    assertThat(r.header("content-length")).isEqualTo("3");
    assertThat(r.trailers()).isNull();
  }

  @Test
  void hostBecomesAuthorityAsEnvoysHttp1CodecDoes() {
    HttpRequest r = HttpRequest.builder().header("Host", "api.example.com").build();

    assertThat(r.header(":authority")).isEqualTo("api.example.com");
    assertThat(r.header("host")).isNull();
  }

  @Test
  void chunkedBodiesGetNoContentLengthAndSplitAtOffsets() {
    HttpRequest r = HttpRequest.builder().body("aaabbbccc").chunkOffsets(3, 6).build();

    assertThat(r.header("content-length")).isNull();
    assertThat(r.chunks())
        .extracting(c -> new String(c, StandardCharsets.UTF_8))
        .containsExactly("aaa", "bbb", "ccc");
  }

  @Test
  void badChunkOffsetsAreRejected() {
    assertThatThrownBy(() -> HttpRequest.builder().body("abc").chunkOffsets(3).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HttpRequest.builder().body("abc").chunkOffsets(2, 1).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HttpRequest.builder().chunkOffsets(1).build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void emptyTrailerMapMeansNoTrailers() {
    assertThat(HttpRequest.builder().trailers(Map.of()).build().trailers()).isNull();
    assertThat(HttpRequest.builder().trailers(Map.of("a", "b")).build().trailers())
        .containsExactly(Header.of("a", "b"));
  }

  @Test
  void upstreamResponseDefaultsStatus200() {
    assertThat(UpstreamResponse.builder().build().header(":status")).isEqualTo("200");
    assertThat(UpstreamResponse.builder().status(404).build().header(":status")).isEqualTo("404");
  }

  @Test
  void configDefaultsAreEnvoys() {
    EnvoyFilterConfig c = EnvoyFilterConfig.defaults();

    assertThat(c.messageTimeout()).isEqualTo(Duration.ofMillis(200));
    assertThat(c.maxMessageTimeout()).isEqualTo(Duration.ZERO);
    assertThat(c.bufferLimitBytes()).isEqualTo(1024 * 1024);
    assertThat(c.maxHeadersCount()).isEqualTo(100);
    assertThat(c.failureModeAllow()).isFalse();
    assertThat(c.processingMode().getRequestHeaderMode()).isEqualTo(HeaderSendMode.SEND);
    assertThat(c.processingMode().getResponseBodyMode()).isEqualTo(BodySendMode.NONE);
    assertThat(c.processingMode().getRequestTrailerMode()).isEqualTo(HeaderSendMode.SKIP);
  }

  @Test
  void responseFullDuplexNeedsResponseTrailerModeSend() {
    assertThatThrownBy(
            () ->
                EnvoyFilterConfig.builder()
                    .processingMode(
                        EnvoyFilterConfig.DEFAULT_MODE.toBuilder()
                            .setResponseBodyMode(BodySendMode.FULL_DUPLEX_STREAMED)
                            .build())
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("response_trailer_mode");
  }

  @Test
  void headerSyntaxFollowsNghttp2() {
    assertThat(MutationRules.validName(":path")).isTrue();
    assertThat(MutationRules.validName("x-ok_1")).isTrue();
    assertThat(MutationRules.validName("bad name")).isFalse();
    assertThat(MutationRules.validName(":")).isFalse();
    assertThat(MutationRules.validName("")).isFalse();
    assertThat(MutationRules.validValue("a\tb".getBytes(StandardCharsets.UTF_8))).isTrue();
    assertThat(MutationRules.validValue(new byte[] {(byte) 0xe9})).isTrue();
    assertThat(MutationRules.validValue(new byte[] {'a', 0})).isFalse();
    assertThat(MutationRules.validValue(new byte[] {'a', '\n'})).isFalse();
  }
}
