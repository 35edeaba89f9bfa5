package io.payloadprocessor.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.SseParser;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.MessageView;
import io.payloadprocessor.spi.SseEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The WG AI Gateway's proposed standard CEL vocabulary (kubernetes-sigs/wg-ai-gateway, {@code
 * gep/gep-XXXX-cel-vocabulary.md}, Provisional): {@code k8s.http.*}, {@code k8s.mcp.*}, {@code
 * k8s.openai.model}, {@code k8s.tcp.*} and {@code k8s.tls.*}. Each name is its own CEL variable,
 * declared with the GEP's type, and computed only when an expression refers to it. See {@code
 * docs/cel.md} for each name's exact meaning here.
 */
final class CelVocabulary {
  private CelVocabulary() {}

  private static final CelType STRING_MAP = MapType.create(SimpleType.STRING, SimpleType.STRING);
  private static final CelType HEADER_LIST =
      ListType.create(MapType.create(SimpleType.STRING, SimpleType.STRING));

  /**
   * Envoy attribute behind each {@code k8s.tls.source.*} string name ({@code peer_certificate} has
   * none: Envoy offers no attribute with the PEM certificate).
   */
  private static final Map<String, String> TLS_ATTRIBUTES =
      Map.of(
          "k8s.tls.source.requested_server_name", "connection.requested_server_name",
          "k8s.tls.source.tls_version", "connection.tls_version",
          "k8s.tls.source.subject_local_certificate", "connection.subject_local_certificate",
          "k8s.tls.source.subject_peer_certificate", "connection.subject_peer_certificate",
          "k8s.tls.source.dns_san_local_certificate", "connection.dns_san_local_certificate",
          "k8s.tls.source.dns_san_peer_certificate", "connection.dns_san_peer_certificate",
          "k8s.tls.source.uri_san_local_certificate", "connection.uri_san_local_certificate",
          "k8s.tls.source.uri_san_peer_certificate", "connection.uri_san_peer_certificate",
          "k8s.tls.source.sha256_peer_certificate_digest",
              "connection.sha256_peer_certificate_digest");

  /** Names every transform may read, with their types. */
  static final Map<String, CelType> REQUEST_NAMES = requestNames();

  /** Names only response transforms may read. */
  static final Map<String, CelType> RESPONSE_NAMES = responseNames();

  private static Map<String, CelType> requestNames() {
    Map<String, CelType> m = new LinkedHashMap<>();
    for (String f : List.of("path", "query", "path_and_query", "authority", "scheme", "method")) {
      m.put("k8s.http.request." + f, SimpleType.STRING);
    }
    m.put("k8s.http.request.protocol", SimpleType.STRING);
    m.put("k8s.http.request.headers", STRING_MAP);
    m.put("k8s.http.request.raw_headers", HEADER_LIST);
    m.put("k8s.http.request.trailers", STRING_MAP);
    m.put("k8s.http.request.raw_trailers", HEADER_LIST);
    for (String f : List.of("id", "method", "tool_name", "resource_uri")) {
      m.put("k8s.mcp.request." + f, SimpleType.STRING);
    }
    m.put("k8s.openai.model", SimpleType.STRING);
    m.put("k8s.tcp.source.address", SimpleType.STRING);
    m.put("k8s.tcp.source.port", SimpleType.INT);
    m.put("k8s.tcp.source.is_tls", SimpleType.BOOL);
    m.put("k8s.tcp.source.is_mtls", SimpleType.BOOL);
    for (String n : new TreeSet<>(TLS_ATTRIBUTES.keySet())) {
      m.put(n, SimpleType.STRING);
    }
    m.put("k8s.tls.source.peer_certificate", SimpleType.STRING);
    return Collections.unmodifiableMap(m);
  }

  private static Map<String, CelType> responseNames() {
    Map<String, CelType> m = new LinkedHashMap<>();
    m.put("k8s.http.response.status.code", SimpleType.INT);
    m.put("k8s.http.response.headers", STRING_MAP);
    m.put("k8s.http.response.raw_headers", HEADER_LIST);
    m.put("k8s.http.response.trailers", STRING_MAP);
    m.put("k8s.http.response.raw_trailers", HEADER_LIST);
    m.put("k8s.mcp.response.is_error", SimpleType.BOOL);
    m.put("k8s.mcp.response.error.code", SimpleType.INT);
    m.put("k8s.mcp.response.error.message", SimpleType.STRING);
    return Collections.unmodifiableMap(m);
  }

  /** The body a name is computed from ({@code request.body}, {@code response.body}), or null. */
  static String bodyRead(String name) {
    if (name.startsWith("k8s.mcp.request.") || name.equals("k8s.openai.model")) {
      return "request.body";
    }
    if (name.startsWith("k8s.mcp.response.")) {
      return "response.body";
    }
    return null;
  }

  /** Whether {@code name} is a vocabulary name of either scope. */
  static boolean isName(String name) {
    return REQUEST_NAMES.containsKey(name) || RESPONSE_NAMES.containsKey(name);
  }

  /** What the values are computed from, for one evaluation of one direction. */
  interface Source {
    Exchange exchange();

    MessageView request();

    /** The response, or null in a request transform. */
    MessageView response();
  }

  /**
   * The value of {@code name}.
   *
   * @throws BodyException when the request body claims to be JSON and is not (400, as for {@code
   *     json(request.body)})
   */
  static Object value(String name, Source src) throws BodyException {
    Exchange ex = src.exchange();
    Headers rq = src.request().headers();
    switch (name) {
      case "k8s.http.request.path" -> {
        return pathOnly(nonNull(rq.get(":path")));
      }
      case "k8s.http.request.query" -> {
        return query(nonNull(rq.get(":path")));
      }
      case "k8s.http.request.path_and_query" -> {
        return nonNull(rq.get(":path"));
      }
      case "k8s.http.request.authority" -> {
        return nonNull(rq.get(":authority"));
      }
      case "k8s.http.request.scheme" -> {
        return nonNull(rq.get(":scheme"));
      }
      case "k8s.http.request.method" -> {
        return nonNull(rq.get(":method"));
      }
      case "k8s.http.request.protocol" -> {
        return attribute(ex, "request.protocol");
      }
      case "k8s.http.request.headers" -> {
        return joined(rq);
      }
      case "k8s.http.request.raw_headers" -> {
        return raw(rq);
      }
      case "k8s.http.request.trailers" -> {
        return joined(ex.requestTrailers());
      }
      case "k8s.http.request.raw_trailers" -> {
        return raw(ex.requestTrailers());
      }
      case "k8s.http.response.status.code" -> {
        return (long) ex.responseStatus();
      }
      case "k8s.http.response.headers" -> {
        return joined(src.response().headers());
      }
      case "k8s.http.response.raw_headers" -> {
        return raw(src.response().headers());
      }
      case "k8s.http.response.trailers" -> {
        return joined(ex.responseTrailers());
      }
      case "k8s.http.response.raw_trailers" -> {
        return raw(ex.responseTrailers());
      }
      case "k8s.openai.model" -> {
        return text(requestJson(src.request()), "model");
      }
      case "k8s.mcp.request.id" -> {
        return jsonRpcId(src.request());
      }
      case "k8s.mcp.request.method" -> {
        return text(jsonRpc(requestJson(src.request())), "method");
      }
      case "k8s.mcp.request.tool_name" -> {
        return paramOf(jsonRpc(requestJson(src.request())), "tools/call", "name");
      }
      case "k8s.mcp.request.resource_uri" -> {
        return paramOf(jsonRpc(requestJson(src.request())), "resources/read", "uri");
      }
      case "k8s.mcp.response.is_error" -> {
        return mcpError(src.response()) != null;
      }
      case "k8s.mcp.response.error.code" -> {
        JsonNode error = mcpError(src.response());
        JsonNode code = error == null ? null : error.get("code");
        return code != null && code.isIntegralNumber() && code.canConvertToLong()
            ? code.longValue()
            : 0L;
      }
      case "k8s.mcp.response.error.message" -> {
        return text(mcpError(src.response()), "message");
      }
      case "k8s.tcp.source.address" -> {
        return hostOf(attribute(ex, "source.address"));
      }
      case "k8s.tcp.source.port" -> {
        return port(ex);
      }
      case "k8s.tcp.source.is_tls" -> {
        return !attribute(ex, "connection.tls_version").isEmpty();
      }
      case "k8s.tcp.source.is_mtls" -> {
        return Boolean.TRUE.equals(ex.envoyAttributes().get("connection.mtls"));
      }
      case "k8s.tls.source.peer_certificate" -> {
        return "";
      }
      default -> {
        String attr = TLS_ATTRIBUTES.get(name);
        if (attr != null) {
          return attribute(ex, attr);
        }
        throw new IllegalArgumentException("not a vocabulary name: " + name);
      }
    }
  }

  private static String nonNull(String s) {
    return s == null ? "" : s;
  }

  private static String pathOnly(String pathAndQuery) {
    int q = pathAndQuery.indexOf('?');
    return q < 0 ? pathAndQuery : pathAndQuery.substring(0, q);
  }

  private static String query(String pathAndQuery) {
    int q = pathAndQuery.indexOf('?');
    return q < 0 ? "" : pathAndQuery.substring(q + 1);
  }

  /** Field lines without pseudo-headers, repeated names joined with "," (RFC 9110 5.3). */
  private static Map<String, String> joined(Headers headers) {
    Map<String, String> map = new LinkedHashMap<>();
    for (String n : headers.names()) {
      if (!n.startsWith(":")) {
        map.put(n, headers.getJoined(n));
      }
    }
    return map;
  }

  /** Field lines without pseudo-headers, one {name, value} map per line. */
  private static List<Map<String, String>> raw(Headers headers) {
    List<Map<String, String>> list = new ArrayList<>();
    for (String n : headers.names()) {
      if (!n.startsWith(":")) {
        for (String v : headers.getAll(n)) {
          Map<String, String> line = new LinkedHashMap<>(2); // rendered name first
          line.put("name", n);
          line.put("value", v);
          list.add(Collections.unmodifiableMap(line));
        }
      }
    }
    return list;
  }

  /** An Envoy attribute as text ("" when Envoy did not send it). */
  private static String attribute(Exchange ex, String name) {
    Object v = ex.envoyAttributes().get(name);
    if (v == null) {
      return "";
    }
    if (v instanceof Double d && d == Math.rint(d) && !d.isInfinite()) {
      return Long.toString(d.longValue());
    }
    return v.toString();
  }

  /** The IP of Envoy's {@code source.address} ({@code ip:port}, IPv6 in brackets). */
  static String hostOf(String address) {
    if (address.startsWith("[")) {
      int end = address.indexOf(']');
      return end < 0 ? address.substring(1) : address.substring(1, end);
    }
    int colon = address.indexOf(':');
    if (colon >= 0 && colon == address.lastIndexOf(':')) {
      return address.substring(0, colon);
    }
    return address; // an IPv6 address without brackets carries no port
  }

  private static long port(Exchange ex) {
    Object p = ex.envoyAttributes().get("source.port");
    if (p instanceof Number n) {
      return n.longValue();
    }
    String address = attribute(ex, "source.address");
    int colon = address.lastIndexOf(':');
    boolean bracketed = address.startsWith("[");
    if (colon < 0
        || (bracketed && address.lastIndexOf(']') > colon)
        || (!bracketed && address.indexOf(':') != colon)) {
      return 0; // no port in it
    }
    try {
      return Long.parseLong(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Whether the body claims to be JSON (so that failing to parse it is the client's error). */
  private static boolean claimsJson(MessageView m) {
    String type = m.mediaType();
    return type.isEmpty() || type.equals("application/json") || type.endsWith("+json");
  }

  /** The request's JSON tree, or null when its content type is not JSON. */
  private static JsonNode requestJson(MessageView request) throws BodyException {
    if (!request.hasBody() || !claimsJson(request)) {
      return null;
    }
    return request.json();
  }

  /** {@code node} when it is a JSON-RPC 2.0 message object, else null. */
  private static JsonNode jsonRpc(JsonNode node) {
    return node != null && node.isObject() && "2.0".equals(node.path("jsonrpc").textValue())
        ? node
        : null;
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node == null ? null : node.get(field);
    return v != null && v.isTextual() ? v.textValue() : "";
  }

  private static String paramOf(JsonNode rpc, String method, String param) {
    if (rpc == null || !method.equals(rpc.path("method").textValue())) {
      return "";
    }
    return text(rpc.get("params"), param);
  }

  /** The JSON-RPC id as text: a string as it is, a number as the body wrote it. */
  private static String jsonRpcId(MessageView request) throws BodyException {
    JsonNode rpc = jsonRpc(requestJson(request));
    JsonNode id = rpc == null ? null : rpc.get("id");
    if (id == null) {
      return "";
    }
    if (id.isTextual()) {
      return id.textValue();
    }
    if (id.isNumber()) {
      String written = JsonNumberText.find(request.body(), new Object[] {"id"});
      return written != null ? written : id.asText();
    }
    return "";
  }

  /**
   * The {@code error} object of the JSON-RPC response the body carries (a JSON body, or the
   * response event of an event stream), or null when there is none.
   */
  private static JsonNode mcpError(MessageView response) {
    JsonNode rpc = mcpResponse(response);
    JsonNode error = rpc == null ? null : rpc.get("error");
    return error != null && error.isObject() ? error : null;
  }

  private static JsonNode mcpResponse(MessageView response) {
    if (response == null || !response.hasBody()) {
      return null;
    }
    try {
      if ("text/event-stream".equals(response.mediaType())) {
        return lastRpcResponse(response.body());
      }
      if (!claimsJson(response)) {
        return null;
      }
      JsonNode rpc = jsonRpc(response.json());
      return rpc != null && (rpc.has("result") || rpc.has("error")) ? rpc : null;
    } catch (BodyException e) {
      // The upstream's answer is not JSON-RPC: no MCP response to describe (not the client's
      // fault).
      return null;
    }
  }

  /** The last JSON-RPC response (an object with result or error) among a stream's events. */
  private static JsonNode lastRpcResponse(byte[] stream) {
    SseParser parser = new SseParser();
    List<SseEvent> events = new ArrayList<>();
    try {
      events.addAll(parser.feed(stream));
    } catch (SseParser.SseException e) {
      return null;
    }
    events.addAll(parser.finish());
    JsonNode found = null;
    for (SseEvent e : events) {
      try {
        JsonNode rpc = jsonRpc(HttpMessage.parseJson(e.data().getBytes(StandardCharsets.UTF_8)));
        if (rpc != null && (rpc.has("result") || rpc.has("error"))) {
          found = rpc;
        }
      } catch (BodyException ignored) {
        // not a JSON-RPC event (a comment, a ping): skip it
      }
    }
    return found;
  }

  /** The names a transform of this scope may read, sorted, for load errors. */
  static String known(boolean response) {
    Set<String> all = new TreeSet<>(REQUEST_NAMES.keySet());
    if (response) {
      all.addAll(RESPONSE_NAMES.keySet());
    }
    return String.join(", ", all);
  }
}
