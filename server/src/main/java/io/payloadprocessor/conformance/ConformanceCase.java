package io.payloadprocessor.conformance;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.type.LogicalType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One conformance case (format v1, {@code shared/design/conformance-cases.md}), parsed strictly: a
 * field the format does not define is an error, so that a case written for a newer format never
 * passes by silently ignoring what it asks. The file is bound with Jackson (unknown fields fail);
 * binding errors are reported as {@code field.path: what is wrong}, the checks binding cannot make
 * (name pattern, tier, status, one of pipeline or fault) follow it.
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
  private static final String UNKNOWN =
      ": unknown field (this runner implements conformance case format v1)";

  /** Unknown fields fail; scalars are not coerced into booleans or integers. */
  private static final JsonMapper MAPPER = strictMapper();

  private static JsonMapper strictMapper() {
    JsonMapper m =
        JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();
    for (LogicalType t : new LogicalType[] {LogicalType.Boolean, LogicalType.Integer}) {
      m.coercionConfigFor(t)
          .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Float, CoercionAction.Fail);
    }
    m.coercionConfigFor(LogicalType.Boolean)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail);
    return m;
  }

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
      Map<String, JsonNode> jsonPath) {
    public BodyExpect {
      jsonPath = orEmpty(jsonPath);
    }
  }

  /** Expectations on what reached the upstream. */
  public record UpstreamExpect(
      Boolean reached, Map<String, String> headers, List<String> absentHeaders, BodyExpect body) {
    public UpstreamExpect {
      headers = orEmpty(headers);
      absentHeaders = orEmpty(absentHeaders);
    }
  }

  /** Expectations on what the client received. */
  public record ClientExpect(
      String status,
      Long maxMillis,
      Map<String, String> headers,
      List<String> absentHeaders,
      BodyExpect body) {
    public ClientExpect {
      headers = orEmpty(headers);
      absentHeaders = orEmpty(absentHeaders);
    }
  }

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
      boolean configRejected) {
    public Expect {
      dynamicMetadata = orEmpty(dynamicMetadata);
      absentDynamicMetadata = orEmpty(absentDynamicMetadata);
    }
  }

  /** A case file that cannot be parsed; the message names the field. */
  public static final class CaseFormatException extends Exception {
    private static final long serialVersionUID = 1L;

    public CaseFormatException(String message) {
      super(message);
    }
  }

  // The file as written: what binding checks. Loosely typed members (JsonNode) are checked below
  // or passed on as they are (the pipeline, the Envoy settings, values to match).

  private record CaseFile(
      JsonNode name,
      JsonNode tier,
      JsonNode description,
      JsonNode pipeline,
      EnvoyFile envoy,
      MessageFile request,
      MessageFile response,
      Map<String, BackendFile> backends,
      Expect expect) {}

  private record EnvoyFile(
      ProcessingModeFile processingMode,
      JsonNode messageTimeout,
      JsonNode failureModeAllow,
      JsonNode allowModeOverride,
      JsonNode bufferLimitBytes,
      JsonNode grpcInitialMetadata,
      JsonNode requestAttributes,
      JsonNode responseAttributes) {}

  private record ProcessingModeFile(
      JsonNode requestHeaderMode,
      JsonNode requestBodyMode,
      JsonNode requestTrailerMode,
      JsonNode responseHeaderMode,
      JsonNode responseBodyMode,
      JsonNode responseTrailerMode) {}

  private record MessageFile(
      Map<String, JsonNode> headers, JsonNode body, int[] chunks, Map<String, String> trailers) {}

  private record BackendFile(JsonNode pipeline, FaultFile fault) {}

  private record FaultFile(JsonNode delay, JsonNode grpcStatus, JsonNode unreachable) {}

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
    if (!n.isObject()) {
      throw new CaseFormatException("case: must be a mapping");
    }
    CaseFile c = bind(n);
    String name = requiredText(c.name(), "name");
    if (!NAME.matcher(name).matches()) {
      throw new CaseFormatException("name: must match [a-z0-9-]+, got '" + name + "'");
    }
    String tier = requiredText(c.tier(), "tier");
    if (!TIERS.contains(tier)) {
      throw new CaseFormatException("tier: must be Core, Extended or Implementation");
    }
    if (c.pipeline() == null || !c.pipeline().isArray()) {
      throw new CaseFormatException("pipeline: required, a list of PayloadProcessor documents");
    }
    Expect expect = expect(c.expect());
    Message request = message(c.request(), "request.");
    if (request == null && !expect.configRejected()) {
      throw new CaseFormatException("request: required unless expect.configRejected is true");
    }
    Message response = message(c.response(), "response.");
    Map<String, JsonNode> backends = new LinkedHashMap<>();
    if (c.backends() != null) {
      for (Map.Entry<String, BackendFile> e : c.backends().entrySet()) {
        BackendFile b = e.getValue();
        if (b == null) {
          throw new CaseFormatException("backends." + e.getKey() + ": must be a mapping");
        }
        if ((b.pipeline() != null) == (b.fault() != null)) {
          throw new CaseFormatException(
              "backends." + e.getKey() + ".: exactly one of pipeline or fault");
        }
        backends.put(e.getKey(), n.get("backends").get(e.getKey()));
      }
    }
    return new ConformanceCase(
        name,
        tier,
        c.description() == null ? "" : c.description().asText(),
        file,
        c.pipeline(),
        n.get("envoy"),
        request,
        response,
        backends,
        expect);
  }

  private static CaseFile bind(JsonNode n) throws CaseFormatException {
    try {
      return MAPPER.treeToValue(n, CaseFile.class);
    } catch (UnrecognizedPropertyException e) {
      throw new CaseFormatException(path(e) + UNKNOWN);
    } catch (JsonMappingException e) {
      String path = path(e);
      throw new CaseFormatException(path + ": " + mismatch(path, e));
    } catch (IOException e) {
      throw new CaseFormatException(e.getMessage());
    }
  }

  /** The field path of a binding error: {@code expect.clientResponse.headers.x}, {@code a[0]}. */
  private static String path(JsonMappingException e) {
    StringBuilder p = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        p.append(p.length() == 0 ? "" : ".").append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        p.append('[').append(r.getIndex()).append(']');
      }
    }
    return p.toString();
  }

  /** What the value at {@code path} should have been, in case-format terms. */
  private static String mismatch(String path, JsonMappingException e) {
    if (path.equals("backends")) {
      return "must be a mapping of name to backend";
    }
    if (path.endsWith(".jsonPath")) {
      return "must map JSONPath to value";
    }
    if (path.endsWith(".chunks")) {
      return "must be a list of byte offsets";
    }
    Class<?> type = e instanceof MismatchedInputException m ? m.getTargetType() : null;
    if (type == null) {
      return "invalid value";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "must be true or false";
    }
    if (type == Integer.class || type == int.class || (type == int[].class && path.endsWith("]"))) {
      return "must be an integer";
    }
    if (type == String.class) {
      return "must be a string";
    }
    if (Collection.class.isAssignableFrom(type) || type.isArray()) {
      return "must be a list";
    }
    return "must be a mapping";
  }

  private static String requiredText(JsonNode v, String field) throws CaseFormatException {
    if (v == null || !v.isTextual()) {
      throw new CaseFormatException(field + ": required string");
    }
    return v.asText();
  }

  private static Expect expect(Expect e) throws CaseFormatException {
    if (e == null) {
      throw new CaseFormatException("expect: required");
    }
    ClientExpect client = e.clientResponse();
    if (client != null && client.status() != null && !client.status().matches("[1-5](\\d\\d|xx)")) {
      throw new CaseFormatException(
          "expect.clientResponse.status: an exact code or a class like 4xx, got "
              + client.status());
    }
    return e;
  }

  private static Message message(MessageFile m, String path) throws CaseFormatException {
    if (m == null) {
      return null;
    }
    List<Map.Entry<String, String>> headers = new ArrayList<>();
    if (m.headers() != null) {
      for (Map.Entry<String, JsonNode> e : m.headers().entrySet()) {
        if (e.getValue().isArray()) {
          for (JsonNode v : e.getValue()) {
            headers.add(Map.entry(e.getKey(), v.asText()));
          }
        } else {
          headers.add(Map.entry(e.getKey(), e.getValue().asText()));
        }
      }
    }
    JsonNode body = m.body();
    byte[] bytes = null;
    if (body != null && body.isBinary()) {
      // YAML's standard !!binary tag: base64 bytes (compressed or non-UTF-8 bodies).
      try {
        bytes = body.binaryValue();
      } catch (IOException e) {
        throw new CaseFormatException(path + "body: bad !!binary value");
      }
    } else if (body != null && body.isTextual()) {
      bytes = body.asText().getBytes(StandardCharsets.UTF_8);
    } else if (body != null && !body.isNull()) {
      throw new CaseFormatException(
          path + "body: must be a string (use a YAML block scalar) or !!binary");
    }
    return new Message(headers, bytes, m.chunks(), m.trailers());
  }

  private static <K, V> Map<K, V> orEmpty(Map<K, V> m) {
    return m == null ? new LinkedHashMap<>() : new LinkedHashMap<>(m);
  }

  private static <T> List<T> orEmpty(List<T> l) {
    return l == null ? new ArrayList<>() : new ArrayList<>(l);
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
