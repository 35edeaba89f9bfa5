package io.payloadprocessor.modules.testing;

import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.UUID;

/** Builds exchanges the way the runner does, and applies mutations as it would. */
public final class TestExchanges {
  private TestExchanges() {}

  /** A request; {@code headers} alternate name, value. */
  public static MutableExchange request(
      String method, String path, String body, String... headers) {
    Headers h = new Headers();
    h.set(":method", method);
    h.set(":path", path);
    h.set(":authority", "example.test");
    h.set(":scheme", "http");
    if (body != null) {
      h.set("content-type", "application/json");
    }
    for (int i = 0; i < headers.length; i += 2) {
      h.set(headers[i], headers[i + 1]);
    }
    byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    return new MutableExchange(
        UUID.randomUUID().toString(), new HttpMessage(h, bytes, body != null), Map.of());
  }

  public static MutableExchange post(String path, String body, String... headers) {
    return request("POST", path, body, headers);
  }

  /** Applies a Continue outcome's mutation to the request; fails on any other outcome. */
  public static Mutation applyToRequest(MutableExchange exchange, Outcome outcome) {
    if (!(outcome instanceof Outcome.Continue c)) {
      throw new AssertionError("expected Continue, got " + outcome);
    }
    exchange.mutableRequest().apply(c.mutation());
    return c.mutation();
  }

  /** Sets the upstream's response; {@code headers} alternate name, value. */
  public static void respond(MutableExchange exchange, int status, String body, String... headers) {
    Headers h = new Headers();
    h.set(":status", Integer.toString(status));
    for (int i = 0; i < headers.length; i += 2) {
      h.set(headers[i], headers[i + 1]);
    }
    byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
    exchange.setResponse(new HttpMessage(h, bytes, body != null));
  }

  /** Applies a Continue outcome's mutation to the response and returns it. */
  public static Mutation applyToResponse(MutableExchange exchange, Outcome outcome) {
    if (!(outcome instanceof Outcome.Continue c)) {
      throw new AssertionError("expected Continue, got " + outcome);
    }
    exchange.mutableResponse().apply(c.mutation());
    return c.mutation();
  }

  public static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
