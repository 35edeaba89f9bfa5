package io.payloadprocessor.server.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One conformance case (format v1, {@code shared/design/conformance-cases.md}), parsed strictly: a
 * field the format does not define is an error, so that a case written for a newer format never
 * passes by silently ignoring what it asks.
 */
public record ConformanceCase(
    String name,
    String tier,
    String description,
    Path file,
    JsonNode pipeline,
    JsonNode envoy,
    Message request,
    Message response,
    Map<String, JsonNode> backends,
    Expect expect) {

  private static final Pattern NAME = Pattern.compile("[a-z0-9-]+");
  private static final Set<String> TIERS = Set.of("Core", "Extended", "Implementation");

  /** A request or response as the case gives it. */
  public record Message(
      List<Map.Entry<String, String>> headers,
      byte[] body,
      int[] chunks,
      Map<String, String> trailers) {}

  /** A body expectation; each present field must hold. */
  public record BodyExpect(
      String equals,
      String contains,
      String notContains,
      JsonNode json,
      Map<String, JsonNode> jsonPath) {}

  /** Expectations on what reached the upstream. */
  public record UpstreamExpect(
      Boolean reached, Map<String, String> headers, List<String> absentHeaders, BodyExpect body) {}

  /** Expectations on what the client received. */
  public record ClientExpect(
      String status,
      Long maxMillis,
      Map<String, String> headers,
      List<String> absentHeaders,
      BodyExpect body) {}

  /**
   * What a case expects to observe.
   *
   * @param absentDynamicMetadata namespace -> key paths ({@code usage.input_tokens}: keys joined
   *     with dots) that must not be in the struct the server emitted in that namespace
   */
  public record Expect(
      UpstreamExpect upstreamRequest,
      ClientExpect clientResponse,
      Map<String, JsonNode> dynamicMetadata,
      Map<String, List<String>> absentDynamicMetadata,
      boolean configRejected) {}

  /** A case file that cannot be parsed; the message names the field. */
  public static final class CaseFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public CaseFormatException(String message) {
      super(message);
    }
  }

  /** Parses every case of one YAML document (one case, or a list under {@code cases:}). */
  public static List<ConformanceCase> parseAll(JsonNode doc, Path file) throws CaseFormatException {
    List<ConformanceCase> out = new ArrayList<>();
    if (doc == null || !doc.isObject()) {
      throw new CaseFormatException("a case file must be a mapping");
    }
    if (doc.has("cases")) {
      if (doc.size() != 1) {
        throw new CaseFormatException("a file with 'cases:' must have nothing else at top level");
      }
      JsonNode list = doc.get("cases");
      if (!list.isArray()) {
        throw new CaseFormatException("cases: must be a list");
      }
      for (int i = 0; i < list.size(); i++) {
        try {
          out.add(parse(list.get(i), file));
        } catch (CaseFormatException e) {
          throw new CaseFormatException("cases[" + i + "]: " + e.getMessage());
        }
      }
    } else {
      out.add(parse(doc, file));
    }
    return out;
  }

  static ConformanceCase parse(JsonNode n, Path file) throws CaseFormatException {
    allowed(
        n,
        "",
        "name",
        "tier",
        "description",
        "pipeline",
        "envoy",
        "request",
        "response",
        "backends",
        "expect");
    String name = text(n, "name", true);
    if (!NAME.matcher(name).matches()) {
      throw new CaseFormatException("name: must match [a-z0-9-]+, got '" + name + "'");
    }
    String tier = text(n, "tier", true);
    if (!TIERS.contains(tier)) {
      throw new CaseFormatException("tier: must be Core, Extended or Implementation");
    }
    JsonNode pipeline = n.get("pipeline");
    if (pipeline == null || !pipeline.isArray()) {
      throw new CaseFormatException("pipeline: required, a list of PayloadProcessor documents");
    }
    JsonNode envoy = n.get("envoy");
    if (envoy != null) {
      allowed(
          envoy,
          "envoy.",
          "processingMode",
          "messageTimeout",
          "failureModeAllow",
          "allowModeOverride",
          "bufferLimitBytes",
          "grpcInitialMetadata",
          "requestAttributes",
          "responseAttributes");
      JsonNode pm = envoy.get("processingMode");
      if (pm != null) {
        allowed(
            pm,
            "envoy.processingMode.",
            "requestHeaderMode",
            "requestBodyMode",
            "requestTrailerMode",
            "responseHeaderMode",
            "responseBodyMode",
            "responseTrailerMode");
      }
    }
    Expect expect = expect(n.get("expect"));
    Message request = message(n.get("request"), "request.");
    if (request == null && !expect.configRejected()) {
      throw new CaseFormatException("request: required unless expect.configRejected is true");
    }
    Message response = message(n.get("response"), "response.");
    Map<String, JsonNode> backends = new LinkedHashMap<>();
    JsonNode b = n.get("backends");
    if (b != null) {
      if (!b.isObject()) {
        throw new CaseFormatException("backends: must be a mapping of name to backend");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = b.properties().iterator(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String p = "backends." + e.getKey() + ".";
        allowed(e.getValue(), p, "pipeline", "fault");
        if (e.getValue().has("pipeline") == e.getValue().has("fault")) {
          throw new CaseFormatException(p + ": exactly one of pipeline or fault");
        }
        if (e.getValue().has("fault")) {
          allowed(e.getValue().get("fault"), p + "fault.", "delay", "grpcStatus", "unreachable");
        }
        backends.put(e.getKey(), e.getValue());
      }
    }
    return new ConformanceCase(
        name,
        tier,
        n.has("description") ? n.get("description").asText() : "",
        file,
        pipeline,
        envoy,
        request,
        response,
        backends,
        expect);
  }

  private static Expect expect(JsonNode e) throws CaseFormatException {
    if (e == null) {
      throw new CaseFormatException("expect: required");
    }
    allowed(
        e,
        "expect.",
        "upstreamRequest",
        "clientResponse",
        "dynamicMetadata",
        "absentDynamicMetadata",
        "configRejected");
    UpstreamExpect up = null;
    JsonNode u = e.get("upstreamRequest");
    if (u != null) {
      allowed(u, "expect.upstreamRequest.", "reached", "headers", "absentHeaders", "body");
      up =
          new UpstreamExpect(
              u.has("reached") ? bool(u.get("reached"), "expect.upstreamRequest.reached") : null,
              stringMap(u.get("headers"), "expect.upstreamRequest.headers"),
              stringList(u.get("absentHeaders"), "expect.upstreamRequest.absentHeaders"),
              body(u.get("body"), "expect.upstreamRequest.body."));
    }
    ClientExpect client = null;
    JsonNode c = e.get("clientResponse");
    if (c != null) {
      allowed(
          c, "expect.clientResponse.", "status", "maxMillis", "headers", "absentHeaders", "body");
      client =
          new ClientExpect(
              c.has("status") ? c.get("status").asText() : null,
              c.has("maxMillis") ? c.get("maxMillis").asLong() : null,
              stringMap(c.get("headers"), "expect.clientResponse.headers"),
              stringList(c.get("absentHeaders"), "expect.clientResponse.absentHeaders"),
              body(c.get("body"), "expect.clientResponse.body."));
      if (client.status() != null && !client.status().matches("[1-5](\\d\\d|xx)")) {
        throw new CaseFormatException(
            "expect.clientResponse.status: an exact code or a class like 4xx, got "
                + client.status());
      }
    }
    Map<String, JsonNode> md = new LinkedHashMap<>();
    JsonNode d = e.get("dynamicMetadata");
    if (d != null) {
      if (!d.isObject()) {
        throw new CaseFormatException("expect.dynamicMetadata: must be a mapping");
      }
      d.properties().forEach(f -> md.put(f.getKey(), f.getValue()));
    }
    Map<String, List<String>> absentMd = new LinkedHashMap<>();
    JsonNode a = e.get("absentDynamicMetadata");
    if (a != null) {
      if (!a.isObject()) {
        throw new CaseFormatException("expect.absentDynamicMetadata: must be a mapping");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = a.properties().iterator(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> f = it.next();
        absentMd.put(
            f.getKey(), stringList(f.getValue(), "expect.absentDynamicMetadata." + f.getKey()));
      }
    }
    boolean rejected =
        e.has("configRejected") && bool(e.get("configRejected"), "expect.configRejected");
    return new Expect(up, client, md, absentMd, rejected);
  }

  private static BodyExpect body(JsonNode b, String path) throws CaseFormatException {
    if (b == null) {
      return null;
    }
    allowed(b, path, "equals", "contains", "notContains", "json", "jsonPath");
    Map<String, JsonNode> jp = new LinkedHashMap<>();
    if (b.has("jsonPath")) {
      if (!b.get("jsonPath").isObject()) {
        throw new CaseFormatException(path + "jsonPath: must map JSONPath to value");
      }
      b.get("jsonPath").properties().forEach(f -> jp.put(f.getKey(), f.getValue()));
    }
    return new BodyExpect(
        b.has("equals") ? b.get("equals").asText() : null,
        b.has("contains") ? b.get("contains").asText() : null,
        b.has("notContains") ? b.get("notContains").asText() : null,
        b.get("json"),
        jp);
  }

  private static Message message(JsonNode m, String path) throws CaseFormatException {
    if (m == null) {
      return null;
    }
    allowed(m, path, "headers", "body", "chunks", "trailers");
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    JsonNode h = m.get("headers");
    if (h != null) {
      if (!h.isObject()) {
        throw new CaseFormatException(path + "headers: must be a mapping");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = h.properties().iterator(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getValue().isArray()) {
          for (JsonNode v : e.getValue()) {
            headers.add(Map.entry(e.getKey(), v.asText()));
          }
        } else {
          headers.add(Map.entry(e.getKey(), e.getValue().asText()));
        }
      }
    }
    int[] chunks = null;
    JsonNode c = m.get("chunks");
    if (c != null) {
      if (!c.isArray()) {
        throw new CaseFormatException(path + "chunks: must be a list of byte offsets");
      }
      chunks = new int[c.size()];
      for (int i = 0; i < c.size(); i++) {
        if (!c.get(i).canConvertToInt()) {
          throw new CaseFormatException(path + "chunks[" + i + "]: must be an integer");
        }
        chunks[i] = c.get(i).asInt();
      }
    }
    Map<String, String> trailers = null;
    if (m.has("trailers")) {
      trailers = stringMap(m.get("trailers"), path + "trailers");
    }
    JsonNode body = m.get("body");
    byte[] bytes = null;
    if (body != null && body.isBinary()) {
      // YAML's standard !!binary tag: base64 bytes (compressed or non-UTF-8 bodies).
      try {
        bytes = body.binaryValue();
      } catch (java.io.IOException e) {
        throw new CaseFormatException(path + "body: bad !!binary value");
      }
    } else if (body != null && body.isTextual()) {
      bytes = body.asText().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    } else if (body != null && !body.isNull()) {
      throw new CaseFormatException(
          path + "body: must be a string (use a YAML block scalar) or !!binary");
    }
    return new Message(headers, bytes, chunks, trailers);
  }

  private static void allowed(JsonNode n, String path, String... keys) throws CaseFormatException {
    if (!n.isObject()) {
      throw new CaseFormatException(
          (path.isEmpty() ? "case" : path.substring(0, path.length() - 1)) + ": must be a mapping");
    }
    Set<String> ok = Set.of(keys);
    for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!ok.contains(k)) {
        throw new CaseFormatException(
            path + k + ": unknown field (this runner implements conformance case format v1)");
      }
    }
  }

  private static String text(JsonNode n, String field, boolean required)
      throws CaseFormatException {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      if (required) {
        throw new CaseFormatException(field + ": required string");
      }
      return null;
    }
    return v.asText();
  }

  private static boolean bool(JsonNode v, String path) throws CaseFormatException {
    if (!v.isBoolean()) {
      throw new CaseFormatException(path + ": must be true or false");
    }
    return v.asBoolean();
  }

  private static Map<String, String> stringMap(JsonNode n, String path) throws CaseFormatException {
    Map<String, String> m = new LinkedHashMap<>();
    if (n == null || n.isNull()) {
      return m;
    }
    if (!n.isObject()) {
      throw new CaseFormatException(path + ": must be a mapping");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = n.properties().iterator(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isContainerNode()) {
        throw new CaseFormatException(path + "." + e.getKey() + ": must be a string");
      }
      m.put(e.getKey(), e.getValue().asText());
    }
    return m;
  }

  private static List<String> stringList(JsonNode n, String path) throws CaseFormatException {
    List<String> l = new ArrayList<>();
    if (n == null || n.isNull()) {
      return l;
    }
    if (!n.isArray()) {
      throw new CaseFormatException(path + ": must be a list");
    }
    n.forEach(v -> l.add(v.asText()));
    return l;
  }

  /** Whether this case needs servers the runner starts itself (backends, faults). */
  public boolean needsOwnBackends() {
    return !backends.isEmpty();
  }

  /** The pipeline as an object node list (for loaders that want ObjectNodes). */
  public List<ObjectNode> pipelineDocuments() {
    List<ObjectNode> docs = new ArrayList<>();
    pipeline.forEach(d -> docs.add((ObjectNode) d));
    return docs;
  }
}
