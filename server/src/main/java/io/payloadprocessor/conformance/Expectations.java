package io.payloadprocessor.conformance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.spi.json.JacksonJsonNodeJsonProvider;
import com.jayway.jsonpath.spi.mapper.JacksonMappingProvider;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks a case's {@code expect} against what was observed. Header names compare
 * case-insensitively, values exactly; {@code json} is a recursive subset match (arrays element by
 * element); {@code jsonPath} keys must yield exactly one result equal to the value.
 */
public final class Expectations {
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Configuration JSONPATH =
      Configuration.builder()
          .jsonProvider(new JacksonJsonNodeJsonProvider())
          .mappingProvider(new JacksonMappingProvider())
          .options(Option.ALWAYS_RETURN_LIST, Option.SUPPRESS_EXCEPTIONS)
          .build();

  private static final Configuration DEFINITE =
      Configuration.builder()
          .jsonProvider(new JacksonJsonNodeJsonProvider())
          .mappingProvider(new JacksonMappingProvider())
          .options(Option.SUPPRESS_EXCEPTIONS)
          .build();

  private Expectations() {}

  /** One HTTP message as observed (upstream request or client response). */
  public record Observed(
      boolean present, int status, List<Map.Entry<String, String>> headers, byte[] body) {
    String header(String name) {
      for (Map.Entry<String, String> h : headers) {
        if (h.getKey().equalsIgnoreCase(name)) {
          return h.getValue();
        }
      }
      return null;
    }

    /** All values of a header joined with ",", as a case writes a repeated header. */
    String joined(String name) {
      List<String> values = new ArrayList<>();
      for (Map.Entry<String, String> h : headers) {
        if (h.getKey().equalsIgnoreCase(name)) {
          values.add(h.getValue());
        }
      }
      return values.isEmpty() ? null : String.join(",", values);
    }
  }

  /** Every mismatch, described; empty when the case holds. */
  public static List<String> check(
      ConformanceCase c,
      Observed upstream,
      Observed client,
      long elapsedMillis,
      Map<String, JsonNode> metadata) {
    List<String> failures = new ArrayList<>();
    ConformanceCase.UpstreamExpect ue = c.expect().upstreamRequest();
    if (ue != null) {
      boolean wantReached = ue.reached() == null || ue.reached();
      if (wantReached != upstream.present()) {
        failures.add(
            "upstream request "
                + (upstream.present() ? "was reached" : "was not reached")
                + ", expected reached="
                + wantReached);
      } else if (upstream.present()) {
        headers("upstream request", ue.headers(), ue.absentHeaders(), upstream, failures);
        body("upstream request body", ue.body(), upstream.body(), failures);
      }
    }
    ConformanceCase.ClientExpect ce = c.expect().clientResponse();
    if (ce != null) {
      if (ce.status() != null && !statusMatches(ce.status(), client.status())) {
        failures.add("client status " + client.status() + ", expected " + ce.status());
      }
      if (ce.maxMillis() != null && elapsedMillis > ce.maxMillis()) {
        failures.add("exchange took " + elapsedMillis + " ms, expected <= " + ce.maxMillis());
      }
      headers("client response", ce.headers(), ce.absentHeaders(), client, failures);
      body("client response body", ce.body(), client.body(), failures);
    }
    for (Map.Entry<String, JsonNode> e : c.expect().dynamicMetadata().entrySet()) {
      JsonNode got = metadata.get(e.getKey());
      if (got == null) {
        failures.add("dynamic metadata namespace " + e.getKey() + " was not emitted");
      } else {
        String why = subset(e.getValue(), got, "");
        if (why != null) {
          failures.add("dynamic metadata " + e.getKey() + why);
        }
      }
    }
    for (Map.Entry<String, List<String>> e : c.expect().absentDynamicMetadata().entrySet()) {
      JsonNode got = metadata.get(e.getKey());
      for (String path : e.getValue()) {
        JsonNode at = got;
        for (String key : path.split("\\.", -1)) {
          at = at == null ? null : at.get(key);
        }
        if (at != null) {
          failures.add(
              "dynamic metadata "
                  + e.getKey()
                  + " has "
                  + path
                  + " = "
                  + clip(at.toString())
                  + ", expected it absent");
        }
      }
    }
    return failures;
  }

  static boolean statusMatches(String want, int got) {
    if (want.endsWith("xx")) {
      return got / 100 == want.charAt(0) - '0';
    }
    return Integer.parseInt(want) == got;
  }

  private static void headers(
      String what,
      Map<String, String> want,
      List<String> absent,
      Observed o,
      List<String> failures) {
    for (Map.Entry<String, String> e : want.entrySet()) {
      String got = o.joined(e.getKey());
      if (got == null) {
        failures.add(what + " lacks header " + e.getKey().toLowerCase(Locale.ROOT));
      } else if (!got.equals(e.getValue())) {
        failures.add(
            what
                + " header "
                + e.getKey()
                + " is '"
                + clip(got)
                + "', expected '"
                + e.getValue()
                + "'");
      }
    }
    for (String name : absent) {
      if (o.header(name) != null) {
        failures.add(what + " has header " + name + ", expected it absent");
      }
    }
  }

  private static void body(
      String what, ConformanceCase.BodyExpect b, byte[] bytes, List<String> failures) {
    if (b == null) {
      return;
    }
    String text = new String(bytes == null ? new byte[0] : bytes, StandardCharsets.UTF_8);
    if (b.equals() != null && !text.equals(b.equals())) {
      failures.add(what + " is '" + clip(text) + "', expected exactly '" + clip(b.equals()) + "'");
    }
    if (b.contains() != null && !text.contains(b.contains())) {
      failures.add(what + " '" + clip(text) + "' does not contain '" + b.contains() + "'");
    }
    if (b.notContains() != null && text.contains(b.notContains())) {
      failures.add(what + " contains '" + b.notContains() + "'");
    }
    if (b.json() == null && b.jsonPath().isEmpty()) {
      return;
    }
    JsonNode parsed;
    try {
      parsed = JSON.readTree(text);
    } catch (Exception e) {
      failures.add(what + " is not JSON: '" + clip(text) + "'");
      return;
    }
    if (b.json() != null) {
      String why = subset(b.json(), parsed, "");
      if (why != null) {
        failures.add(what + why + " (body: " + clip(text) + ")");
      }
    }
    for (Map.Entry<String, JsonNode> e : b.jsonPath().entrySet()) {
      JsonNode results;
      try {
        JsonPath path = JsonPath.compile(e.getKey());
        if (path.isDefinite()) {
          // A definite path (no wildcard or filter) names one value, or a function's result.
          Object value = JsonPath.using(DEFINITE).parse(parsed).read(path);
          JsonNode one = value == null ? null : JSON.valueToTree(value);
          results = one == null ? JSON.createArrayNode() : JSON.createArrayNode().add(one);
        } else {
          results = JsonPath.using(JSONPATH).parse(parsed).read(path);
        }
      } catch (RuntimeException ex) {
        failures.add(what + ": bad JSONPath " + e.getKey() + ": " + ex.getMessage());
        continue;
      }
      if (results == null || results.size() != 1) {
        failures.add(
            what
                + " "
                + e.getKey()
                + " yields "
                + (results == null ? 0 : results.size())
                + " results, expected exactly one");
      } else if (!jsonEquals(e.getValue(), results.get(0))) {
        failures.add(
            what + " " + e.getKey() + " is " + results.get(0) + ", expected " + e.getValue());
      }
    }
  }

  /** Null when {@code want} is a subset of {@code got}, else where it is not. */
  static String subset(JsonNode want, JsonNode got, String path) {
    if (want.isObject()) {
      if (!got.isObject()) {
        return at(path) + " is " + got.getNodeType() + ", expected an object";
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = want.properties().iterator();
          it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode g = got.get(e.getKey());
        String p = path + "." + e.getKey();
        if (g == null) {
          return at(p) + " is missing";
        }
        String why = subset(e.getValue(), g, p);
        if (why != null) {
          return why;
        }
      }
      return null;
    }
    if (want.isArray()) {
      if (!got.isArray() || got.size() != want.size()) {
        return at(path) + " is " + clip(got.toString()) + ", expected " + clip(want.toString());
      }
      for (int i = 0; i < want.size(); i++) {
        String why = subset(want.get(i), got.get(i), path + "[" + i + "]");
        if (why != null) {
          return why;
        }
      }
      return null;
    }
    return jsonEquals(want, got)
        ? null
        : at(path) + " is " + clip(got.toString()) + ", expected " + want;
  }

  /** Scalar equality where 1 and 1.0 are equal (metadata numbers arrive as doubles). */
  static boolean jsonEquals(JsonNode want, JsonNode got) {
    if (want.isNumber() && got.isNumber()) {
      return want.decimalValue().compareTo(got.decimalValue()) == 0;
    }
    if (want.isContainerNode() || got.isContainerNode()) {
      return subset(want, got, "") == null && subset(got, want, "") == null;
    }
    return want.equals(got);
  }

  private static String at(String path) {
    return path.isEmpty() ? " (root)" : " " + path.substring(1);
  }

  private static String clip(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
