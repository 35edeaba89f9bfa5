package io.payloadprocessor.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.HeaderSendMode;
import io.payloadprocessor.envoysim.EnvoyFilterConfig;
import io.payloadprocessor.envoysim.HttpOutcome;
import io.payloadprocessor.envoysim.HttpRequest;
import io.payloadprocessor.envoysim.Upstream;
import io.payloadprocessor.envoysim.UpstreamResponse;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every body mode x (no change, header from the body, body replaced, immediate response) x both
 * directions x trailers absent/present, over real loopback gRPC, driven by the Envoy-faithful
 * client. Bodies arrive in three pieces, so STREAMED and FULL_DUPLEX see several chunks.
 */
class BodyModeMatrixTest {
  enum Op {
    NO_CHANGE,
    HEADER_FROM_BODY,
    BODY_REPLACED,
    IMMEDIATE
  }

  private static final String REQUEST_BODY =
      "{\"model\":\"gpt-4\",\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}";
  private static final String RESPONSE_BODY =
      "{\"id\":\"cmpl-1\",\"model\":\"gpt-4\",\"choices\":[{\"message\":{\"content\":\"hi\"}}]}";

  private static final Map<Op, ServerFixture> REQUEST_SERVERS = new EnumMap<>(Op.class);
  private static final Map<Op, ServerFixture> RESPONSE_SERVERS = new EnumMap<>(Op.class);

  private static String pipeline(String direction, String part) {
    return """
        apiVersion: ainetworking.x-k8s.io/v0alpha0
        kind: PayloadProcessor
        metadata: {name: matrix}
        spec:
          targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: gw}
          phase: PreRouting
          processors:
            - name: p
              type: InProcess
              failureMode: %s
              inProcess:
                %s:
        %s
        """
        .formatted(part.startsWith("#open") ? "FailOpen" : "FailClosed", direction, part);
  }

  private static String ops(Op op, String dir) {
    String body = dir + ".body";
    return switch (op) {
      // Reads the body, fails, and is skipped (FailOpen): the body path runs, nothing changes.
      case NO_CHANGE ->
          "#open\n          setHeaders:\n            - {name: x-never, value: json("
              + body
              + ").absent}";
      case HEADER_FROM_BODY ->
          "          setHeaders:\n            - {name: x-model, value: json(" + body + ").model}";
      case BODY_REPLACED ->
          "          setBodyFields:\n            - {path: $.model, value: \"'replaced-model'\"}";
      // Reads a missing field with FailClosed: the processor errors and the exchange gets a 500.
      case IMMEDIATE ->
          "          setHeaders:\n            - {name: x-never, value: json(" + body + ").absent}";
    };
  }

  @BeforeAll
  static void start() throws Exception {
    for (Op op : Op.values()) {
      REQUEST_SERVERS.put(op, new ServerFixture(pipeline("request", ops(op, "request"))));
      RESPONSE_SERVERS.put(op, new ServerFixture(pipeline("response", ops(op, "response"))));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (ServerFixture f : REQUEST_SERVERS.values()) {
      f.close();
    }
    for (ServerFixture f : RESPONSE_SERVERS.values()) {
      f.close();
    }
  }

  static Stream<Arguments> matrix() {
    Stream.Builder<Arguments> b = Stream.builder();
    for (BodySendMode mode :
        new BodySendMode[] {
          BodySendMode.BUFFERED,
          BodySendMode.STREAMED,
          BodySendMode.BUFFERED_PARTIAL,
          BodySendMode.FULL_DUPLEX_STREAMED
        }) {
      for (Op op : Op.values()) {
        for (boolean trailers : new boolean[] {false, true}) {
          b.add(Arguments.of(mode, op, trailers));
        }
      }
    }
    return b.build();
  }

  private static EnvoyFilterConfig config(BodySendMode mode, boolean request, boolean trailers) {
    boolean duplex = mode == BodySendMode.FULL_DUPLEX_STREAMED;
    HeaderSendMode trailerMode = trailers || duplex ? HeaderSendMode.SEND : HeaderSendMode.SKIP;
    ProcessingMode.Builder pm =
        ProcessingMode.newBuilder()
            .setRequestHeaderMode(HeaderSendMode.SEND)
            .setResponseHeaderMode(HeaderSendMode.SEND)
            .setRequestBodyMode(request ? mode : BodySendMode.NONE)
            .setResponseBodyMode(request ? BodySendMode.NONE : mode)
            .setRequestTrailerMode(request ? trailerMode : HeaderSendMode.SKIP)
            .setResponseTrailerMode(request ? HeaderSendMode.SKIP : trailerMode);
    return EnvoyFilterConfig.builder()
        .processingMode(pm.build())
        .messageTimeout(Duration.ofSeconds(2))
        .build();
  }

  private static HttpRequest request(boolean trailers) {
    HttpRequest.Builder b =
        HttpRequest.builder()
            .header(":method", "POST")
            .header(":path", "/v1/chat/completions")
            .header("content-type", "application/json")
            .header("content-length", Integer.toString(REQUEST_BODY.length()))
            .body(REQUEST_BODY)
            .chunkOffsets(10, 40);
    if (trailers) {
      b.trailer("x-checksum", "abc");
    }
    return b.build();
  }

  private static Upstream upstream(boolean trailers) {
    UpstreamResponse.Builder b =
        UpstreamResponse.builder()
            .status(200)
            .header("content-type", "application/json")
            .header("content-length", Integer.toString(RESPONSE_BODY.length()))
            .body(RESPONSE_BODY)
            .chunkOffsets(10, 40);
    if (trailers) {
      b.trailer("x-checksum", "def");
    }
    return Upstream.fixed(b.build());
  }

  @ParameterizedTest(name = "request {0} {1} trailers={2}")
  @MethodSource("matrix")
  void requestDirection(BodySendMode mode, Op op, boolean trailers) {
    HttpOutcome o =
        REQUEST_SERVERS
            .get(op)
            .envoy(config(mode, true, trailers))
            .exchange(request(trailers), upstream(false));
    String why = o.toString() + "\n" + o.trace();
    switch (op) {
      case NO_CHANGE -> {
        assertThat(o.status()).as(why).isEqualTo(200);
        assertThat(o.upstreamRequest().bodyString()).as(why).isEqualTo(REQUEST_BODY);
      }
      case HEADER_FROM_BODY -> {
        assertThat(o.status()).as(why).isEqualTo(200);
        assertThat(o.upstreamRequest().bodyString()).as(why).isEqualTo(REQUEST_BODY);
        if (mode == BodySendMode.STREAMED) {
          // Envoy forwards STREAMED headers before the body: a header from the body cannot apply.
          assertThat(o.upstreamRequest().header("x-model")).as(why).isNull();
        } else {
          assertThat(o.upstreamRequest().header("x-model")).as(why).isEqualTo("gpt-4");
        }
      }
      case BODY_REPLACED -> {
        assertThat(o.status()).as(why).isEqualTo(200);
        if (mode == BodySendMode.STREAMED) {
          // STREAMED forwards each chunk before the body is complete: the body cannot change.
          assertThat(o.upstreamRequest().bodyString()).as(why).isEqualTo(REQUEST_BODY);
          return;
        }
        assertThat(o.upstreamRequest().bodyString()).as(why).contains("\"replaced-model\"");
        assertThat(o.upstreamRequest().bodyString()).as(why).contains("hello there");
        String cl = o.upstreamRequest().header("content-length");
        if (cl != null) {
          assertThat(Integer.parseInt(cl)).as(why).isEqualTo(o.upstreamRequest().body().length);
        }
      }
      case IMMEDIATE -> {
        assertThat(o.upstreamReached()).as(why).isFalse();
        assertThat(o.status()).as(why).isEqualTo(500);
        assertThat(o.clientHeader("content-type")).as(why).isEqualTo("application/json");
        assertThat(o.clientBody()).as(why).contains("\"processor\":\"p\"");
      }
    }
    if (trailers && op != Op.IMMEDIATE) {
      assertThat(o.upstreamRequest().trailers()).as(why).isNotEmpty();
    }
  }

  @ParameterizedTest(name = "response {0} {1} trailers={2}")
  @MethodSource("matrix")
  void responseDirection(BodySendMode mode, Op op, boolean trailers) {
    HttpOutcome o =
        RESPONSE_SERVERS
            .get(op)
            .envoy(config(mode, false, trailers))
            .exchange(request(false), upstream(trailers));
    String why = o.toString() + "\n" + o.trace();
    assertThat(o.upstreamReached()).as(why).isTrue();
    switch (op) {
      case NO_CHANGE -> {
        assertThat(o.status()).as(why).isEqualTo(200);
        assertThat(o.clientBody()).as(why).isEqualTo(RESPONSE_BODY);
      }
      case HEADER_FROM_BODY -> {
        assertThat(o.status()).as(why).isEqualTo(200);
        assertThat(o.clientBody()).as(why).isEqualTo(RESPONSE_BODY);
        if (mode == BodySendMode.STREAMED) {
          assertThat(o.clientHeader("x-model")).as(why).isNull();
        } else {
          assertThat(o.clientHeader("x-model")).as(why).isEqualTo("gpt-4");
        }
      }
      case BODY_REPLACED -> {
        assertThat(o.status()).as(why).isEqualTo(200);
        if (mode == BodySendMode.STREAMED) {
          assertThat(o.clientBody()).as(why).isEqualTo(RESPONSE_BODY);
          return;
        }
        assertThat(o.clientBody()).as(why).contains("\"replaced-model\"").contains("cmpl-1");
        String cl = o.clientHeader("content-length");
        if (cl != null) {
          assertThat(Integer.parseInt(cl)).as(why).isEqualTo(o.clientResponse().body().length);
        }
      }
      case IMMEDIATE -> {
        if (mode == BodySendMode.STREAMED) {
          // Response headers already went downstream: Envoy can only reset the stream.
          assertThat(o.resetAfterResponseHeaders()).as(why).isTrue();
        } else {
          assertThat(o.status()).as(why).isEqualTo(500);
          assertThat(o.clientBody()).as(why).contains("\"phase\":\"response\"");
        }
      }
    }
  }
}
