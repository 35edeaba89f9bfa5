package io.payloadprocessor.server.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.proto.v1.Rejection;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.runtime.MutableExchange;
import io.payloadprocessor.server.pipeline.PipelineRunner;
import io.payloadprocessor.server.pipeline.PipelineRunner.BodyState;
import io.payloadprocessor.server.pipeline.Rejections;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.server.telemetry.ExchangeTrace;
import io.payloadprocessor.server.telemetry.Tracing;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.Headers;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one batch line through the pipeline, as the server runs one HTTP exchange: thread-safe and
 * stateless, so the workers share one instance.
 *
 * <p>Requests mode: the line becomes a request to its {@code url} with headers {@code :method},
 * {@code :path}, {@code content-type: application/json}, {@code content-length} and {@code
 * x-request-id} = {@code custom_id}, and no route or stage metadata (so only Gateway-level
 * documents apply). Results mode: the line's {@code response} becomes a response with {@code
 * :status} = {@code status_code}, after a body-less POST request to {@link
 * BatchOptions#resultsPath()}.
 *
 * <p>Traced (when tracing is on) with one root span per line that reaches the pipeline, named
 * {@code batch line}, with the same step spans and attributes as an exchange.
 */
final class LineProcessor {
  private static final Logger log = LoggerFactory.getLogger(LineProcessor.class);

  /** Reason of the rejection record of a malformed line. */
  static final String MALFORMED = "malformed_line";

  private final PipelineRunner runner;
  private final List<Step> steps;
  private final BatchOptions options;
  private final Direction direction;
  private final Tracing tracing;

  LineProcessor(PipelineRunner runner, List<Step> steps, BatchOptions options, Tracing tracing) {
    this.runner = runner;
    this.tracing = tracing;
    this.steps = steps;
    this.options = options;
    this.direction =
        options.mode() == BatchOptions.Mode.REQUESTS ? Direction.REQUEST : Direction.RESPONSE;
  }

  LineResult process(LineReader.Line line) {
    long n = line.number();
    if (line.tooLong()) {
      // Too long to read whole: its body is over the limit too. Rejected as the server rejects a
      // body over the limit, with the custom_id when the line's start names it.
      return tooLarge(n, Envelope.scan(line.prefix(), direction).customId());
    }
    if (isBlank(line.bytes())) {
      return new LineResult(n, LineResult.Kind.BLANK, null, null, null, List.of(), null);
    }
    JsonNode node;
    try {
      node = HttpMessage.JSON.readTree(line.bytes());
    } catch (StreamConstraintsException e) {
      // A string over the parser's limit is a body over the body limit, unless the limit is
      // higher than the parser's or the string is elsewhere (then the line itself is at fault).
      Envelope env = Envelope.scan(line.bytes(), direction);
      if (env.bodyBytes() > options.maxBodyBytes()) {
        return tooLarge(n, env.customId());
      }
      return malformed(n, env.customId(), "line exceeds JSON limits (nesting or string length)");
    } catch (IOException e) {
      return malformed(n, null, jsonProblem(e));
    }
    if (node == null || !node.isObject()) {
      return malformed(n, null, "line is not a JSON object");
    }
    ObjectNode root = (ObjectNode) node;
    JsonNode cid = root.get("custom_id");
    if (cid == null || !cid.isTextual()) {
      return malformed(n, null, "missing custom_id (a string)");
    }
    String customId = cid.asText();
    try {
      return direction == Direction.REQUEST
          ? request(n, line.bytes(), root, customId)
          : response(n, line.bytes(), root, customId);
    } catch (RuntimeException e) {
      // As the server does: an internal error rejects this one exchange, never the whole run.
      log.error("internal error on line {} ({})", n, customId, e);
      MutableExchange ex =
          new MutableExchange(customId, new HttpMessage(new Headers(), null, false), Map.of());
      return rejected(
          n,
          customId,
          runner.serverRejection(
              ex,
              direction,
              Block.of(500, "internal_error", "internal error in payload-processor")));
    }
  }

  private LineResult request(long n, byte[] raw, ObjectNode root, String customId) {
    JsonNode body = root.get("body");
    if (body == null) {
      return malformed(n, customId, "missing body");
    }
    if (!body.isObject()) {
      return malformed(n, customId, "body is not a JSON object");
    }
    JsonNode url = root.get("url");
    if (url == null || !url.isTextual() || !url.asText().startsWith("/")) {
      return malformed(n, customId, "missing url (a path such as /v1/chat/completions)");
    }
    JsonNode method = root.get("method");
    if (method != null && !method.isTextual()) {
      return malformed(n, customId, "method is not a string");
    }
    Headers h = new Headers();
    h.set(":method", method == null ? "POST" : method.asText());
    h.set(":path", url.asText());
    h.set("content-type", "application/json");
    HttpMessage message = new HttpMessage(h, null, false);
    // Serialised once; the parsed tree is kept, so JSON readers do not parse the body again.
    message.replaceJson(body);
    byte[] original = message.rawBody();
    h.set("content-length", Integer.toString(original.length));
    h.set("x-request-id", customId);
    MutableExchange exchange = new MutableExchange(customId, message, Map.of());
    return run(n, raw, root, root, customId, exchange, message, body, original);
  }

  private LineResult response(long n, byte[] raw, ObjectNode root, String customId) {
    JsonNode resp = root.get("response");
    if (resp == null || resp.isNull()) {
      // The request failed upstream (the line's "error" says why): there is nothing to inspect.
      return new LineResult(n, LineResult.Kind.NO_RESPONSE, raw, null, null, List.of(), null);
    }
    if (!resp.isObject()) {
      return malformed(n, customId, "response is not a JSON object");
    }
    JsonNode status = resp.get("status_code");
    if (status == null
        || !status.canConvertToInt()
        || !status.isIntegralNumber()
        || status.asInt() < 100
        || status.asInt() > 599) {
      return malformed(n, customId, "response.status_code is not an HTTP status");
    }
    JsonNode body = resp.get("body");
    if (body == null) {
      return malformed(n, customId, "missing response.body");
    }
    if (!body.isObject()) {
      return malformed(n, customId, "response.body is not a JSON object");
    }
    Headers rq = new Headers();
    rq.set(":method", "POST");
    rq.set(":path", options.resultsPath());
    rq.set("x-request-id", customId);
    MutableExchange exchange =
        new MutableExchange(customId, new HttpMessage(rq, null, false), Map.of());
    Headers h = new Headers();
    h.set(":status", Integer.toString(status.asInt()));
    h.set("content-type", "application/json");
    HttpMessage message = new HttpMessage(h, null, false);
    message.replaceJson(body);
    byte[] original = message.rawBody();
    h.set("content-length", Integer.toString(original.length));
    JsonNode rid = resp.get("request_id");
    if (rid != null && rid.isTextual()) {
      h.set("x-request-id", rid.asText());
    }
    exchange.setResponse(message);
    return run(n, raw, root, (ObjectNode) resp, customId, exchange, message, body, original);
  }

  /**
   * Runs the pipeline; {@code holder} is the object whose {@code body} the output line replaces.
   */
  private LineResult run(
      long n,
      byte[] raw,
      ObjectNode root,
      ObjectNode holder,
      String customId,
      MutableExchange exchange,
      HttpMessage message,
      JsonNode body,
      byte[] original) {
    Headers before = message.headers().copy();
    PipelineRunner.Result result;
    ExchangeTrace trace = tracing.startLine(exchange.request().headers(), customId);
    try {
      if (original.length > options.maxBodyBytes()) {
        result = runner.serverRejection(exchange, direction, tooLargeBlock());
      } else {
        result =
            direction == Direction.REQUEST
                ? runner.runRequest(exchange, steps, BodyState.PRESENT, trace)
                : runner.runResponse(exchange, steps, BodyState.PRESENT, trace);
      }
      if (direction == Direction.REQUEST) {
        trace.requestBody(message);
      }
      if (result instanceof PipelineRunner.Stop stop) {
        trace.answered(stop.status(), stop.rejection());
      }
    } finally {
      trace.end(exchange.responseStatus(), false);
    }
    if (result instanceof PipelineRunner.Stop stop) {
      if (stop.rejection() != null) {
        return rejected(n, customId, stop);
      }
      // A synthetic answer (e.g. a cache hit) is not an error: the line passes as it was.
      return new LineResult(n, LineResult.Kind.RESPONDED, raw, null, null, List.of(), null);
    }
    List<String> changed = changedHeaders(before, message.headers());
    if (message.rawBody() == original) {
      return new LineResult(n, LineResult.Kind.UNCHANGED, raw, null, null, changed, null);
    }
    JsonNode rewritten;
    try {
      rewritten = message.json();
    } catch (BodyException e) {
      rewritten = null;
    }
    if (rewritten == null || !rewritten.isObject()) {
      // The server would forward any bytes; a batch line can only carry a JSON object.
      return rejected(
          n,
          customId,
          runner.serverRejection(
              exchange,
              direction,
              Block.of(
                  500,
                  "rewritten_body_not_json",
                  "the pipeline rewrote the "
                      + direction.label()
                      + " body to something that is not a JSON object; a batch line needs one")));
    }
    if (rewritten.equals(body)) {
      return new LineResult(n, LineResult.Kind.UNCHANGED, raw, null, null, changed, null);
    }
    holder.set("body", rewritten);
    return new LineResult(n, LineResult.Kind.REWRITTEN, write(root), null, null, changed, null);
  }

  /** Header names whose values the pipeline changed (content-length follows the body: left out). */
  static List<String> changedHeaders(Headers before, Headers after) {
    Set<String> names = new LinkedHashSet<>(before.names());
    names.addAll(after.names());
    List<String> changed = new ArrayList<>(0);
    for (String name : names) {
      if (name.equals("content-length")) {
        continue;
      }
      if (!before.getAll(name).equals(after.getAll(name))) {
        changed.add(name);
      }
    }
    return changed;
  }

  private LineResult rejected(long n, String customId, PipelineRunner.Stop stop) {
    Rejection r = stop.rejection();
    return new LineResult(
        n, LineResult.Kind.REJECTED, null, rejectLine(customId, n, r), r, List.of(), null);
  }

  /** The server's answer to a body over the limit: 413 for a request, 500 for a response. */
  private Block tooLargeBlock() {
    boolean req = direction == Direction.REQUEST;
    return Block.of(
        req ? 413 : 500,
        req ? "request_body_too_large" : "response_body_too_large",
        "the "
            + direction.label()
            + " body exceeds the limit of "
            + options.maxBodyBytes()
            + " bytes");
  }

  /** A line whose body is over the limit and cannot be (or need not be) parsed whole. */
  private LineResult tooLarge(long n, String customId) {
    Rejection r = Rejections.of(tooLargeBlock(), Rejections.SERVER, direction, customId);
    return new LineResult(
        n, LineResult.Kind.REJECTED, null, rejectLine(customId, n, r), r, List.of(), null);
  }

  private LineResult malformed(long n, String customId, String problem) {
    Rejection r =
        Rejections.of(
            Block.of(400, MALFORMED, "line " + n + ": " + problem),
            Rejections.SERVER,
            direction,
            customId);
    return new LineResult(
        n, LineResult.Kind.MALFORMED, null, rejectLine(customId, n, r), r, List.of(), problem);
  }

  /** {@code {"custom_id": ..., "line": N, "error": <Rejections.asMap>}}. */
  static byte[] rejectLine(String customId, long line, Rejection r) {
    ObjectNode o = HttpMessage.JSON.createObjectNode();
    if (customId == null) {
      o.putNull("custom_id");
    } else {
      o.put("custom_id", customId);
    }
    o.put("line", line);
    o.set("error", HttpMessage.JSON.valueToTree(Rejections.asMap(r)));
    return write(o);
  }

  private static byte[] write(JsonNode node) {
    try {
      return HttpMessage.JSON.writeValueAsBytes(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a JSON tree", e);
    }
  }

  /**
   * What is wrong with a line that does not parse, without quoting it: parser messages quote input
   * tokens, and a line may hold personal data.
   */
  private static String jsonProblem(IOException e) {
    String msg = e.getMessage() == null ? "" : e.getMessage();
    String where = "";
    if (e instanceof JsonProcessingException jpe && jpe.getLocation() != null) {
      where = " (column " + jpe.getLocation().getColumnNr() + ")";
    }
    if (msg.startsWith("Duplicate field")) {
      return "line has a duplicate JSON key" + where;
    }
    if (msg.contains("Invalid UTF-8")) {
      return "line is not valid UTF-8" + where;
    }
    if (msg.contains("Unexpected end-of-input")) {
      return "line is truncated JSON" + where;
    }
    return "line is not valid JSON" + where;
  }

  private static boolean isBlank(byte[] b) {
    for (byte c : b) {
      if (c != ' ' && c != '\t' && c != '\r') {
        return false;
      }
    }
    return true;
  }
}
