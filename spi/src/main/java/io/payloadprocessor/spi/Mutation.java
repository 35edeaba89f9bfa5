package io.payloadprocessor.spi;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a processor wants changed. The runner applies it to the exchange before the next processor
 * runs (sequential semantics: a later processor sees, and may overwrite, an earlier one's headers).
 * Removes apply before sets. A mutation from a processor that timed out is discarded whole.
 */
public final class Mutation {
  private final Map<String, String> setHeaders = new LinkedHashMap<>();
  private final List<String> removeHeaders = new ArrayList<>();
  private byte @Nullable [] body;
  private @Nullable JsonNode json;
  private final Map<String, Object> metadata = new LinkedHashMap<>();
  private boolean clearRouteCache;

  public static Mutation create() {
    return new Mutation();
  }

  /** Sets (overwrites) a header. */
  public Mutation setHeader(String name, String value) {
    setHeaders.put(Headers.normalize(name), value);
    return this;
  }

  public Mutation removeHeader(String name) {
    removeHeaders.add(Headers.normalize(name));
    return this;
  }

  /** Replaces the body with plain bytes. */
  public Mutation replaceBody(byte[] newBody) {
    this.body = newBody;
    this.json = null;
    return this;
  }

  /** Replaces the body with a JSON tree. */
  public Mutation replaceJson(JsonNode tree) {
    this.json = tree;
    this.body = null;
    return this;
  }

  /**
   * Adds a key to the dynamic metadata emitted under the server's namespace ({@code
   * io.payload_processor}); values are strings, numbers, booleans, lists or maps.
   */
  public Mutation metadata(String key, Object value) {
    metadata.put(key, value);
    return this;
  }

  /** Asks Envoy to re-evaluate the route (request headers changed what routing looks at). */
  public Mutation clearRouteCache() {
    this.clearRouteCache = true;
    return this;
  }

  public Map<String, String> setHeaders() {
    return Collections.unmodifiableMap(setHeaders);
  }

  public List<String> removeHeaders() {
    return Collections.unmodifiableList(removeHeaders);
  }

  /** Replacement body bytes, or null. */
  public byte @Nullable [] body() {
    return body;
  }

  /** Replacement JSON tree, or null. */
  public @Nullable JsonNode json() {
    return json;
  }

  public Map<String, Object> metadata() {
    return Collections.unmodifiableMap(metadata);
  }

  public boolean isClearRouteCache() {
    return clearRouteCache;
  }

  public boolean isEmpty() {
    return setHeaders.isEmpty()
        && removeHeaders.isEmpty()
        && body == null
        && json == null
        && metadata.isEmpty()
        && !clearRouteCache;
  }
}
