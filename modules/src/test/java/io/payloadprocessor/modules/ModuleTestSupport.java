package io.payloadprocessor.modules;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.testing.TestContext;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.ModuleFactory;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Builds exchanges, contexts and processors for module tests. */
public final class ModuleTestSupport {
  private ModuleTestSupport() {}

  public static JsonNode configJson(String json) {
    try {
      return HttpMessage.JSON.readTree(json);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  public static Processor create(ModuleFactory factory, String configJson) throws ConfigException {
    return factory.create("p", configJson(configJson), new TestContext());
  }

  /** A POST with a JSON body and extra headers given as name, value pairs. */
  public static MutableExchange post(String path, String body, String... headerPairs) {
    return post(path, body.getBytes(StandardCharsets.UTF_8), headerPairs);
  }

  public static MutableExchange post(String path, byte[] body, String... headerPairs) {
    Headers h = new Headers();
    h.set(":method", "POST").set(":path", path).set("content-type", "application/json");
    for (int i = 0; i + 1 < headerPairs.length; i += 2) {
      h.set(headerPairs[i], headerPairs[i + 1]);
    }
    return new MutableExchange("req-1", new HttpMessage(h, body, true), Map.of());
  }

  /** Adds a response to an exchange. */
  public static MutableExchange withResponse(MutableExchange ex, String contentType, String body) {
    Headers h = new Headers().set(":status", "200").set("content-type", contentType);
    ex.setResponse(new HttpMessage(h, body.getBytes(StandardCharsets.UTF_8), true));
    return ex;
  }

  /** The mutation of a Continue outcome; fails for any other outcome. */
  public static Mutation mutation(Outcome o) {
    if (o instanceof Outcome.Continue c) {
      return c.mutation();
    }
    throw new AssertionError("expected Continue, got " + o);
  }
}
