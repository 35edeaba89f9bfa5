package io.payloadprocessor.inprocess;

import com.fasterxml.jackson.databind.JsonNode;
import dev.cel.common.values.CelByteString;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelVariableResolver;
import io.payloadprocessor.config.ConfigReader;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.MessageView;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

  /**
   * Whether the response transform works on event streams: one that reads {@code response.body} (or
   * edits body fields) but not {@code k8s.mcp.response} does not run on a {@code text/event-stream}
   * response, so the server need not hold the stream back for it.
   */
  @Override
  public boolean streamsSse() {
    return response != null && skipsEventStreams(response);
  }

  @Override
  public SseStreamProcessor openSseStream(Exchange exchange) {
    return streamsSse() ? PASS_THROUGH : null;
  }

  private static boolean skipsEventStreams(Transform t) {
    boolean readsBody = t.editsBody() || t.reads.contains("response.body");
    boolean readsMcp = t.reads.stream().anyMatch(r -> r.startsWith("k8s.mcp.response."));
    return readsBody && !readsMcp;
  }

  private static final SseStreamProcessor PASS_THROUGH =
      new SseStreamProcessor() {
        @Override
        public StreamStep onEvent(SseEvent event) {
          return StreamStep.pass(event);
        }

        @Override
        public StreamStep onEnd() {
          return StreamStep.hold();
        }
      };

  @Override
  public Outcome onRequest(Exchange exchange) throws Exception {
    if (request == null) {
      return Outcome.proceed();
    }
    Activation activation = new Activation(exchange, null, request.reads);
    return Outcome.proceed(apply(request, activation, exchange.request()));
  }

  @Override
  public Outcome onResponse(Exchange exchange) throws Exception {
    MessageView message = exchange.response();
    if (response == null || message == null) {
      return Outcome.proceed();
    }
    if (skipsEventStreams(response) && "text/event-stream".equals(message.mediaType())) {
      // Buffered for another processor: the same rule holds, the transform does not run.
      return Outcome.proceed();
    }
    Activation activation = new Activation(exchange, message, response.reads);
    return Outcome.proceed(apply(response, activation, message));
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
      if (value instanceof Optional<?> opt) {
        if (opt.isEmpty()) {
          continue; // optional.none(): leave the header as it is
        }
        value = opt.get();
      }
      try {
        mutation.setHeader(set.name(), CelValues.toHeaderValue(value, activation));
      } catch (IllegalArgumentException e) {
        throw new CelTransformException(
            name, "setHeaders[" + i + "] (" + set.name() + "): " + e.getMessage(), null);
      }
    }
    if (t.editsBody()) {
      // Evaluate every value first, against the unchanged message.
      JsonNode[] values = new JsonNode[t.setBodyFields.size()];
      for (int i = 0; i < values.length; i++) {
        Transform.BodyFieldSet set = t.setBodyFields.get(i);
        if (set.literal() != null) {
          values[i] = set.literal().deepCopy();
          continue;
        }
        Object value = activation.evaluate(set.value(), "setBodyFields[" + i + "]", name);
        if (value instanceof Optional<?> opt && opt.isEmpty()) {
          continue; // optional.none(): leave the field as it is
        }
        values[i] = CelValues.toJson(value, activation);
      }
      JsonNode root = json(target, activation);
      root = root.deepCopy();
      for (BodyFieldPath path : t.removeBodyFields) {
        path.remove(root);
      }
      for (int i = 0; i < values.length; i++) {
        if (values[i] == null) {
          continue;
        }
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

  /** The body to edit; an upstream answer that is not JSON is an error of this step, not a 400. */
  private JsonNode json(MessageView target, Activation activation)
      throws BodyException, CelTransformException {
    if (target == activation.requestView) {
      return target.json();
    }
    try {
      return target.json();
    } catch (BodyException e) {
      throw new CelTransformException(
          name,
          "the response body is not JSON (" + e.reason() + "); body fields cannot be edited",
          null);
    }
  }

  @Override
  public String toString() {
    return "InProcess[" + name + "]";
  }

  /**
   * The variables and the late-bound {@code json()} of the evaluations of one direction: each
   * variable is built when an evaluation first asks for it, and only what the transform's
   * expressions read is put in it.
   */
  private static final class Activation
      implements CelVariableResolver,
          CelEnvironment.JsonResolver,
          EvaluationBudget.Inputs,
          CelVocabulary.Source,
          CelValues.NumberTexts {
    private final Exchange exchange;
    private final MessageView requestView;
    private final MessageView responseView;
    private final Set<String> reads;
    private final Map<String, Object> resolved = new HashMap<>(8);
    private final List<Object> inputs = new ArrayList<>(8);
    private long inputSize;
    private CelByteString requestBody;
    private CelByteString responseBody;
    private Object requestJson;
    private Object responseJson;
    private CelValues.NumberOrigins requestOrigins;
    private CelValues.NumberOrigins responseOrigins;
    private BodyException bodyFailure;

    Activation(Exchange exchange, MessageView responseView, Set<String> reads) {
      this.exchange = exchange;
      this.requestView = exchange.request();
      this.responseView = responseView;
      this.reads = reads;
    }

    @Override
    public Exchange exchange() {
      return exchange;
    }

    @Override
    public MessageView request() {
      return requestView;
    }

    @Override
    public MessageView response() {
      return responseView;
    }

    Object evaluate(CelEnvironment.Compiled expr, String where, String processor)
        throws BodyException, CelTransformException {
      try {
        return CelEnvironment.evaluate(expr, this, this, this);
      } catch (CelEvaluationException | RuntimeException e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
          if (c instanceof BodyFailure) {
            throw ((BodyFailure) c).body;
          }
          if (c instanceof EvaluationBudget.CostLimitExceeded) {
            throw new CelTransformException(processor, where + ": " + c.getMessage(), null);
          }
        }
        if (bodyFailure != null) {
          throw bodyFailure;
        }
        if (e instanceof RuntimeException r && !(e instanceof IllegalArgumentException)) {
          throw r;
        }
        // No cause: CEL's own message may quote argument values (body content) in logs.
        String message =
            e instanceof CelEvaluationException cee ? safeMessage(cee) : "evaluation error";
        throw new CelTransformException(processor, where + ": " + message, null);
      }
    }

    /** A number read from either body, as that body wrote it. */
    @Override
    public String text(Object value) {
      String t = requestOrigins == null ? null : requestOrigins.text(value);
      return t != null || responseOrigins == null ? t : responseOrigins.text(value);
    }

    @Override
    public Optional<Object> find(String name) {
      Object v = resolved.get(name);
      if (v == null) {
        try {
          v = build(name);
        } catch (BodyException e) {
          bodyFailure = e;
          throw new BodyFailure(e);
        }
        if (v == null) {
          return Optional.empty();
        }
        resolved.put(name, v);
      }
      return Optional.of(v);
    }

    private Object build(String name) throws BodyException {
      switch (name) {
        case "request" -> {
          Map<String, Object> req = new HashMap<>(8);
          req.put("body", reads.contains("request.body") ? requestBody() : CelByteString.EMPTY);
          // Only what the expressions read is built (reads covers any whole-variable use too).
          req.put(
              "headers",
              reads.contains("request.headers") ? headerMap(requestView.headers()) : Map.of());
          req.put("method", nonNull(requestView.headers().get(":method")));
          req.put("path", nonNull(requestView.headers().get(":path")));
          return input(req);
        }
        case "response" -> {
          if (responseView == null) {
            return null;
          }
          Map<String, Object> resp = new HashMap<>(8);
          resp.put("body", reads.contains("response.body") ? responseBody() : CelByteString.EMPTY);
          resp.put(
              "headers",
              reads.contains("response.headers") ? headerMap(responseView.headers()) : Map.of());
          resp.put("status", (long) exchange.responseStatus());
          return input(resp);
        }
        default -> {
          if (!CelVocabulary.isName(name)) {
            return null;
          }
          Object value = CelVocabulary.value(name, this);
          if (value instanceof Map<?, ?> || value instanceof List<?>) {
            input(value);
            if (value instanceof List<?> list) {
              list.forEach(this::input);
            }
          }
          return value;
        }
      }
    }

    private Object input(Object value) {
      inputs.add(value);
      if (value instanceof Map<?, ?> m) {
        m.values()
            .forEach(
                v -> {
                  if (v instanceof Map<?, ?> || v instanceof CelByteString) {
                    inputs.add(v);
                  }
                });
      }
      return value;
    }

    private CelByteString requestBody() throws BodyException {
      if (requestBody == null) {
        requestBody = bytes(requestView);
        inputSize += requestBody.size();
      }
      return requestBody;
    }

    private CelByteString responseBody() throws BodyException {
      if (responseBody == null) {
        responseBody = bytes(responseView);
        inputSize += responseBody.size();
      }
      return responseBody;
    }

    @Override
    public boolean isInput(Object value) {
      for (Object i : inputs) {
        if (i == value) {
          return true;
        }
      }
      return false;
    }

    @Override
    public long inputSize() {
      return inputSize;
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
        if (requestBody != null && sameBytes(arg, requestBody)) {
          if (requestJson == null) {
            requestOrigins = new CelValues.NumberOrigins(this::requestBytes);
            requestJson = CelValues.fromJson(requestView.json(), requestOrigins);
          }
          return requestJson;
        }
        if (responseView != null && responseBody != null && sameBytes(arg, responseBody)) {
          if (responseJson == null) {
            JsonNode tree;
            try {
              tree = responseView.json();
            } catch (BodyException e) {
              // The upstream's answer is not the client's bad input: an evaluation error.
              throw new IllegalArgumentException("json(response.body): " + e.reason(), e);
            }
            responseOrigins = new CelValues.NumberOrigins(this::responseBytes);
            responseJson = CelValues.fromJson(tree, responseOrigins);
          }
          return responseJson;
        }
      } catch (BodyException e) {
        bodyFailure = e;
        throw new BodyFailure(e);
      }
      return CelEnvironment.parseJson(arg.toByteArray());
    }

    private byte[] requestBytes() {
      return requestBody.toByteArray();
    }

    private byte[] responseBytes() {
      return responseBody.toByteArray();
    }

    // The same instance is the common case (the body passed straight through); equals is the
    // fallback for a copy, and two distinct empty values are not taken for the body.
    @SuppressWarnings("ReferenceEquality")
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
