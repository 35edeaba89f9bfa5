package io.payloadprocessor.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.values.CelByteString;
import dev.cel.runtime.CelEvaluationException;
import io.payloadprocessor.config.ConfigReader;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.MessageView;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * GEP-5091 {@code InProcess} processor: CEL expressions that set and remove headers and body fields
 * of the request and/or the response.
 *
 * <p>Semantics:
 *
 * <ul>
 *   <li>Every expression of one direction sees the message as it was when this processor started
 *       (edits of this processor are not visible to its own expressions); the next processor sees
 *       them all.
 *   <li>Changes are applied removes first, then sets: {@code removeHeaders}, {@code setHeaders},
 *       {@code removeBodyFields}, {@code setBodyFields} (each list in order).
 *   <li>{@code setHeaders[].value} is a CEL expression; strings are used as they are, numbers and
 *       booleans as CEL's {@code string()} writes them, lists and maps as JSON; null, or text with
 *       CR/LF/NUL, is an evaluation error.
 *   <li>{@code setBodyFields[].value} is a CEL expression whose result becomes JSON ({@code
 *       '{"include_usage": true}'} is a CEL map literal and becomes a JSON object); a non-string
 *       YAML value is used literally. A set creates missing intermediate objects; removing a
 *       missing field does nothing.
 *   <li>An evaluation error (a missing key, a wrong type, a cost limit) is thrown: the runner
 *       applies the processor's failure mode. A body that is not JSON when an expression calls
 *       {@code json()} on it, or when body fields are edited, is a {@link BodyException} (400).
 * </ul>
 *
 * <p>Cost limits are those of {@link CelEnvironment}: {@value CelEnvironment#MAX_STEPS} evaluation
 * steps and {@value CelEnvironment#MAX_ITERATIONS} comprehension iterations per expression, {@value
 * CelEnvironment#MAX_EXPRESSION_LENGTH} characters per expression.
 */
public final class CelTransformProcessor implements Processor {
  private static final Set<String> FIELDS = Set.of("request", "response");

  private final String name;
  private final Transform request;
  private final Transform response;

  private CelTransformProcessor(String name, Transform request, Transform response) {
    this.name = name;
    this.request = request;
    this.response = response;
  }

  /**
   * Builds the processor from an {@code inProcess} block ({@code {request: {...}, response:
   * {...}}}).
   *
   * @throws ConfigException with every problem, field paths relative to the block (e.g. {@code
   *     request.setHeaders[0].value})
   */
  public static CelTransformProcessor fromConfig(String processorName, JsonNode inProcess)
      throws ConfigException {
    ConfigReader reader = new ConfigReader();
    if (inProcess == null || !inProcess.isObject()) {
      throw new ConfigException("", "must be an object with request and/or response");
    }
    reader.checkFields("", inProcess, FIELDS);
    Transform req = null;
    Transform resp = null;
    if (ConfigReader.has(inProcess, "request")) {
      req = parseDirection(reader, inProcess, "request", CelEnvironment.Scope.REQUEST);
    }
    if (ConfigReader.has(inProcess, "response")) {
      resp = parseDirection(reader, inProcess, "response", CelEnvironment.Scope.RESPONSE);
    }
    if (!ConfigReader.has(inProcess, "request") && !ConfigReader.has(inProcess, "response")) {
      reader.error("", "must contain request and/or response");
    }
    reader.throwIfProblems();
    return new CelTransformProcessor(processorName, req, resp);
  }

  private static Transform parseDirection(
      ConfigReader reader, JsonNode parent, String key, CelEnvironment.Scope scope) {
    JsonNode node = reader.object("", parent, key, true);
    return node == null ? null : Transform.parse(reader, key, node, scope);
  }

  public String name() {
    return name;
  }

  @Override
  public boolean handlesRequest() {
    return request != null;
  }

  @Override
  public boolean handlesResponse() {
    return response != null;
  }

  @Override
  public boolean readsRequestBody() {
    return (request != null && (request.editsBody() || request.reads.contains("request.body")))
        || (response != null && response.reads.contains("request.body"));
  }

  @Override
  public boolean readsResponseBody() {
    return response != null && (response.editsBody() || response.reads.contains("response.body"));
  }

  @Override
  public Outcome onRequest(Exchange exchange) throws Exception {
    if (request == null) {
      return Outcome.proceed();
    }
    Activation activation = new Activation(exchange.request(), null, request.reads);
    return Outcome.proceed(apply(request, activation, exchange.request()));
  }

  @Override
  public Outcome onResponse(Exchange exchange) throws Exception {
    if (response == null || exchange.response() == null) {
      return Outcome.proceed();
    }
    Activation activation = new Activation(exchange.request(), exchange.response(), response.reads);
    activation.status = exchange.responseStatus();
    return Outcome.proceed(apply(response, activation, exchange.response()));
  }

  private Mutation apply(Transform t, Activation activation, MessageView target)
      throws BodyException, CelTransformException {
    Mutation mutation = Mutation.create();
    for (String header : t.removeHeaders) {
      mutation.removeHeader(header);
    }
    for (int i = 0; i < t.setHeaders.size(); i++) {
      Transform.HeaderSet set = t.setHeaders.get(i);
      Object value = activation.evaluate(set.value(), "setHeaders[" + i + "]", name);
      try {
        mutation.setHeader(set.name(), CelValues.toHeaderValue(value));
      } catch (IllegalArgumentException e) {
        throw new CelTransformException(
            name, "setHeaders[" + i + "] (" + set.name() + "): " + e.getMessage(), e);
      }
    }
    if (t.editsBody()) {
      // Evaluate every value first, against the unchanged message.
      JsonNode[] values = new JsonNode[t.setBodyFields.size()];
      for (int i = 0; i < values.length; i++) {
        Transform.BodyFieldSet set = t.setBodyFields.get(i);
        values[i] =
            set.literal() != null
                ? set.literal().deepCopy()
                : CelValues.toJson(
                    activation.evaluate(set.value(), "setBodyFields[" + i + "]", name));
      }
      JsonNode root = target.json().deepCopy();
      for (BodyFieldPath path : t.removeBodyFields) {
        path.remove(root);
      }
      for (int i = 0; i < values.length; i++) {
        BodyFieldPath path = t.setBodyFields.get(i).path();
        try {
          root = path.set(root, values[i]);
        } catch (IllegalStateException e) {
          throw new CelTransformException(name, "setBodyFields[" + i + "]: " + e.getMessage(), e);
        }
      }
      mutation.replaceJson(root);
    }
    return mutation;
  }

  @Override
  public String toString() {
    return "InProcess[" + name + "]";
  }

  /** The variables and the late-bound {@code json()} of one evaluation of one direction. */
  private static final class Activation implements CelEnvironment.JsonResolver {
    private final MessageView requestView;
    private final MessageView responseView;
    private final Set<String> reads;
    private int status;
    private Map<String, Object> variables;
    private CelByteString requestBody;
    private CelByteString responseBody;
    private Object requestJson;
    private Object responseJson;

    Activation(MessageView requestView, MessageView responseView, Set<String> reads) {
      this.requestView = requestView;
      this.responseView = responseView;
      this.reads = reads;
    }

    Object evaluate(CelEnvironment.Compiled expr, String where, String processor)
        throws BodyException, CelTransformException {
      try {
        return CelEnvironment.evaluate(expr, variables(), this);
      } catch (CelEvaluationException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
          if (c instanceof BodyFailure) {
            throw ((BodyFailure) c).body;
          }
          if (c instanceof CelEnvironment.CostLimitExceeded) {
            throw new CelTransformException(processor, where + ": " + c.getMessage(), null);
          }
        }
        // No cause: CEL's own message may quote argument values (body content) in logs.
        throw new CelTransformException(processor, where + ": " + safeMessage(e), null);
      }
    }

    private Map<String, Object> variables() throws BodyException {
      if (variables != null) {
        return variables;
      }
      Map<String, Object> vars = new HashMap<>();
      requestBody = reads.contains("request.body") ? bytes(requestView) : CelByteString.EMPTY;
      Map<String, Object> req = new HashMap<>();
      req.put("body", requestBody);
      // Only what the expressions read is built (reads covers any whole-variable use too).
      req.put(
          "headers",
          reads.contains("request.headers") ? headerMap(requestView.headers()) : Map.of());
      req.put("method", nonNull(requestView.headers().get(":method")));
      req.put("path", nonNull(requestView.headers().get(":path")));
      vars.put("request", req);
      if (responseView != null) {
        responseBody = reads.contains("response.body") ? bytes(responseView) : CelByteString.EMPTY;
        Map<String, Object> resp = new HashMap<>();
        resp.put("body", responseBody);
        resp.put(
            "headers",
            reads.contains("response.headers") ? headerMap(responseView.headers()) : Map.of());
        resp.put("status", (long) status);
        vars.put("response", resp);
      }
      variables = vars;
      return vars;
    }

    private static CelByteString bytes(MessageView view) throws BodyException {
      return view.hasBody() ? CelByteString.of(view.body()) : CelByteString.EMPTY;
    }

    private static Map<String, String> headerMap(Headers headers) {
      Map<String, String> map = new LinkedHashMap<>();
      for (String n : headers.names()) {
        map.put(n, headers.getJoined(n));
      }
      return map;
    }

    private static String nonNull(String s) {
      return s == null ? "" : s;
    }

    /** json(bytes): the body's own tree (parsed once per exchange) when given a body. */
    @Override
    public Object json(CelByteString arg) {
      try {
        if (requestView != null && requestBody != null && sameBytes(arg, requestBody)) {
          if (requestJson == null) {
            requestJson = CelValues.fromJson(requestView.json());
          }
          return requestJson;
        }
        if (responseView != null && responseBody != null && sameBytes(arg, responseBody)) {
          if (responseJson == null) {
            responseJson = CelValues.fromJson(responseView.json());
          }
          return responseJson;
        }
      } catch (BodyException e) {
        throw new BodyFailure(e);
      }
      return CelEnvironment.parseJson(arg.toByteArray());
    }

    private static boolean sameBytes(CelByteString a, CelByteString body) {
      return a == body || (!body.isEmpty() && a.equals(body));
    }
  }

  /**
   * CEL-Java quotes function arguments and conversion inputs in some messages ({@code with arg(s)},
   * {@code For input string: "..."}); they may be body content, so the message ends before the
   * first quote.
   */
  static String safeMessage(CelEvaluationException e) {
    String m = e.getMessage() == null ? "evaluation error" : e.getMessage();
    int args = m.indexOf(" with arg(s)");
    if (args >= 0) {
      m = m.substring(0, args);
    }
    int quote = m.contains(" is not present in map") ? -1 : firstQuote(m);
    if (quote >= 0) {
      m = m.substring(0, quote).stripTrailing();
      m = (m.endsWith(":") ? m.substring(0, m.length() - 1) : m) + " (value not shown)";
    }
    return m;
  }

  private static int firstQuote(String m) {
    for (int i = 0; i < m.length(); i++) {
      char c = m.charAt(i);
      if (c == '"' || c == '\'' || c == '`') {
        return i;
      }
    }
    return -1;
  }

  /** Carries a {@link BodyException} out of a CEL function binding. */
  private static final class BodyFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    @SuppressWarnings("serial") // never serialised
    private final BodyException body;

    BodyFailure(BodyException body) {
      super(body.getMessage(), body);
      this.body = body;
    }
  }
}
