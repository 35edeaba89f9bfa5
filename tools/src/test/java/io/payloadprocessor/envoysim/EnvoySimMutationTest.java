package io.payloadprocessor.envoysim;

import static io.payloadprocessor.envoysim.Protos.headersOnly;
import static io.payloadprocessor.envoysim.Protos.mutation;
import static io.payloadprocessor.envoysim.Protos.requestHeaders;
import static io.payloadprocessor.envoysim.Protos.responseHeaders;
import static io.payloadprocessor.envoysim.Protos.set;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingResponse;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Header mutation rules exactly as Envoy applies them. */
class EnvoySimMutationTest {
  private static final HttpRequest GET =
      HttpRequest.builder()
          .header(":method", "GET")
          .header(":path", "/v1/models")
          .header("x-keep", "1")
          .header("x-drop", "1")
          .build();

  private static HttpOutcome run(
      Function<ProcessingRequest, ProcessingResponse> answer, EnvoyFilterConfig config)
      throws Exception {
    try (FakeExtProc server = FakeExtProc.start((r, call) -> call.reply(answer.apply(r)))) {
      return server.sim(config).exchange(GET, Upstream.ok());
    }
  }

  private static Function<ProcessingRequest, ProcessingResponse> onRequestHeaders(
      HeaderMutation m) {
    return r -> r.hasRequestHeaders() ? requestHeaders(headersOnly(m)) : FakeExtProc.continueFor(r);
  }

  @Test
  void disallowedRoutingAndEnvoyHeadersAreIgnoredAndCounted() throws Exception {
    HttpOutcome o =
        run(
            onRequestHeaders(
                mutation(
                    set(":authority", "evil"),
                    set("host", "evil"),
                    set(":method", "DELETE"),
                    set(":scheme", "https"),
                    set("x-envoy-original-path", "/x"),
                    set(":path", "/v2/models"),
                    set("x-model", "gpt-4"))),
            Protos.cfg().build());

    assertThat(o.status()).as(o.toString()).isEqualTo(200);
    assertThat(o.rejectedHeaderMutations()).isEqualTo(5);
    ForwardedMessage up = o.upstreamRequest();
    assertThat(up.header(":authority")).isEqualTo("localhost");
    assertThat(up.header("host")).isNull();
    assertThat(up.header(":method")).isEqualTo("GET");
    assertThat(up.header(":scheme")).isEqualTo("http");
    assertThat(up.header("x-envoy-original-path")).isNull();
    assertThat(up.header(":path")).isEqualTo("/v2/models");
    assertThat(up.header("x-model")).isEqualTo("gpt-4");
  }

  @Test
  void disallowIsErrorTurnsARejectedMutationInto500() throws Exception {
    HttpOutcome o =
        run(
            onRequestHeaders(mutation(set(":authority", "evil"))),
            Protos.cfg().disallowIsError(true).build());

    assertThat(o.status()).as(o.toString()).isEqualTo(500);
    assertThat(o.upstreamReached()).isFalse();
  }

  @Test
  void statusBelow200IsIgnoredAnd201Applies() throws Exception {
    HttpOutcome ignored =
        run(
            r ->
                r.hasResponseHeaders()
                    ? responseHeaders(headersOnly(mutation(set(":status", "100"))))
                    : FakeExtProc.continueFor(r),
            Protos.cfg().build());
    HttpOutcome applied =
        run(
            r ->
                r.hasResponseHeaders()
                    ? responseHeaders(headersOnly(mutation(set(":status", "201"))))
                    : FakeExtProc.continueFor(r),
            Protos.cfg().build());

    assertThat(ignored.status()).as(ignored.toString()).isEqualTo(200);
    assertThat(ignored.rejectedHeaderMutations()).isEqualTo(1);
    assertThat(applied.status()).as(applied.toString()).isEqualTo(201);
  }

  @Test
  void onlyRawValueIsReadAndValueOnlyHeadersBecomeEmpty() throws Exception {
    HeaderValueOption valueOnly =
        HeaderValueOption.newBuilder()
            .setHeader(HeaderValue.newBuilder().setKey("x-value-only").setValue("ignored"))
            .build();
    HttpOutcome o = run(onRequestHeaders(mutation(valueOnly)), Protos.cfg().build());

    assertThat(o.upstreamRequest().headerValues("x-value-only")).containsExactly("");
  }

  @Test
  void removesApplyBeforeSetsAndSetReplacesAppendAdds() throws Exception {
    HeaderMutation m =
        HeaderMutation.newBuilder()
            .addSetHeaders(set("x-drop", "set-again"))
            .addSetHeaders(set("x-keep", "replaced"))
            .addSetHeaders(Protos.append("x-multi", "a"))
            .addSetHeaders(Protos.append("x-multi", "b"))
            .addRemoveHeaders("x-drop")
            .addRemoveHeaders(":path")
            .addRemoveHeaders("X-Nothing")
            .build();
    HttpOutcome o = run(onRequestHeaders(m), Protos.cfg().build());

    ForwardedMessage up = o.upstreamRequest();
    assertThat(up.headerValues("x-drop")).containsExactly("set-again");
    assertThat(up.headerValues("x-keep")).containsExactly("replaced");
    assertThat(up.headerValues("x-multi")).containsExactly("a", "b");
    assertThat(up.header(":path")).isEqualTo("/v1/models");
    assertThat(o.rejectedHeaderMutations()).isEqualTo(1);
  }

  @Test
  void keysAreLowerCased() throws Exception {
    HttpOutcome o = run(onRequestHeaders(mutation(set("X-Model-Name", "m"))), Protos.cfg().build());

    assertThat(o.upstreamRequest().headers())
        .anySatisfy(h -> assertThat(h.name()).isEqualTo("x-model-name"));
  }

  @Test
  void invalidHeaderCharactersGive500() throws Exception {
    HttpOutcome o = run(onRequestHeaders(mutation(set("x-bad", "a\r\nb"))), Protos.cfg().build());

    assertThat(o.status()).as(o.toString()).isEqualTo(500);
    assertThat(o.upstreamReached()).isFalse();
  }

  @Test
  void nonUtf8RawValuesTravelVerbatim() throws Exception {
    byte[] latin1 = {(byte) 0xe9, 't', (byte) 0xe9};
    HttpRequest req =
        HttpRequest.builder().header(":method", "GET").header("x-raw", latin1).build();
    HeaderValueOption setRaw =
        HeaderValueOption.newBuilder()
            .setHeader(
                HeaderValue.newBuilder().setKey("x-back").setRawValue(ByteString.copyFrom(latin1)))
            .build();
    try (FakeExtProc server =
        FakeExtProc.start(
            (r, call) ->
                call.reply(
                    r.hasRequestHeaders()
                        ? requestHeaders(headersOnly(mutation(setRaw)))
                        : FakeExtProc.continueFor(r)))) {
      HttpOutcome o = server.sim(Protos.cfg().build()).exchange(req, Upstream.ok());

      HeaderValue seen =
          server.received.get(0).getRequestHeaders().getHeaders().getHeadersList().stream()
              .filter(h -> h.getKey().equals("x-raw"))
              .findFirst()
              .orElseThrow();
      assertThat(seen.getRawValue().toByteArray()).isEqualTo(latin1);
      assertThat(seen.getValue()).isEmpty();
      Header back =
          o.upstreamRequest().headers().stream()
              .filter(h -> h.name().equals("x-back"))
              .findFirst()
              .orElseThrow();
      assertThat(back.rawValue()).isEqualTo(latin1);
    }
  }

  @Test
  void repeatedHeadersAreSentAsRepeatedEntries() throws Exception {
    HttpRequest req =
        HttpRequest.builder()
            .header(":method", "GET")
            .header("x-a", "1")
            .header("x-a", "2")
            .build();
    try (FakeExtProc server = FakeExtProc.start(FakeExtProc.continueAll())) {
      server.sim(Protos.cfg().build()).exchange(req, Upstream.ok());

      assertThat(
              server.received.get(0).getRequestHeaders().getHeaders().getHeadersList().stream()
                  .filter(h -> h.getKey().equals("x-a"))
                  .map(h -> h.getRawValue().toStringUtf8()))
          .containsExactly("1", "2");
    }
  }
}
