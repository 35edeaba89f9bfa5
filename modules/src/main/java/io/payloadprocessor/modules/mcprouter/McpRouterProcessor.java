package io.payloadprocessor.modules.mcprouter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.modules.common.CancelScope;
import io.payloadprocessor.modules.store.StateStore;
import io.payloadprocessor.runtime.SseParser;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.MessageView;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseEvent;
import io.payloadprocessor.spi.SseStreamProcessor;
import io.payloadprocessor.spi.StreamStep;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Routes and polices Model Context Protocol traffic (JSON-RPC 2.0 over streamable HTTP).
 *
 * <ul>
 *   <li>Routing headers from the body: {@code x-mcp-method}, {@code x-mcp-tool} ({@code tools/call}
 *       params.name), {@code x-mcp-resource} ({@code resources/read} params.uri), {@code
 *       x-mcp-prompt} ({@code prompts/get} params.name). In a batch each header carries the
 *       distinct values in order, joined by ",". Client-sent copies are always removed.
 *   <li>Session stickiness: when a backend answers {@code initialize} with an {@code
 *       Mcp-Session-Id}, the backend (response header, else the request's backend header) is
 *       remembered; later requests of the session get the backend header set. A successful {@code
 *       DELETE} forgets the session.
 *   <li>Tool policy: a denied {@code tools/call} is answered with a JSON-RPC error object (HTTP
 *       200, the request's id). If any call in a batch is denied, the whole batch is answered with
 *       one error object per request (ids preserved, notifications get none; a batch of
 *       notifications only gets 202 with no body). {@code tools/list} results, JSON or SSE, are
 *       filtered to the allowed tools.
 * </ul>
 *
 * <p>Execution: {@link Execution#INLINE} unless sessions are kept in a remote store; then {@link
 * Execution#ASYNC}, with the session lookup and writes as store futures (no thread waits on Redis).
 */
public final class McpRouterProcessor implements Processor, AutoCloseable {
  public static final String X_MCP_METHOD = "x-mcp-method";
  public static final String X_MCP_TOOL = "x-mcp-tool";
  public static final String X_MCP_RESOURCE = "x-mcp-resource";
  public static final String X_MCP_PROMPT = "x-mcp-prompt";
  public static final String SESSION_HEADER = "mcp-session-id";

  /** Longest header value the router sets; longer names and URIs are not routed on. */
  static final int MAX_HEADER_VALUE = 1024;

  private final String name;
  private final boolean clearRouteCache;
  private final ToolPolicy policy;
  private final int errorCode;
  private final boolean sessions;
  private final String backendHeader;
  private final String backendResponseHeader;
  private final Duration sessionTtl;
  private final StateStore store;
  private final String prefix;

  /** What the request part saw, for the response part. */
  record Pending(boolean initialize, boolean delete, String sessionId, Set<String> toolsListIds) {}

  public McpRouterProcessor(
      String name,
      boolean clearRouteCache,
      ToolPolicy policy,
      int errorCode,
      boolean sessions,
      String backendHeader,
      String backendResponseHeader,
      Duration sessionTtl,
      StateStore store,
      String prefix) {
    this.name = name;
    this.clearRouteCache = clearRouteCache;
    this.policy = policy;
    this.errorCode = errorCode;
    this.sessions = sessions;
    this.backendHeader = backendHeader;
    this.backendResponseHeader = backendResponseHeader;
    this.sessionTtl = sessionTtl;
    this.store = store;
    this.prefix = prefix;
  }

  private String attribute() {
    return "mcp-router/" + name;
  }

  @Override
  public boolean readsRequestBody() {
    // The tool policy must see every POST body, so the body is declared as read. The cost: a
    // runner skips body-reading processors on requests without a body, so GET (the listening
    // stream) and DELETE (end of session) are not made sticky unless the runner calls this
    // processor for them anyway; onRequest handles a missing body.
    return true;
  }

  @Override
  public boolean handlesResponse() {
    return sessions || policy.isActive();
  }

  @Override
  public boolean readsResponseBody() {
    return policy.isActive();
  }

  @Override
  public Execution execution() {
    return sessions && store.isRemote() ? Execution.ASYNC : Execution.INLINE;
  }

  @Override
  public boolean streamsSse() {
    return policy.isActive();
  }

  /** The synchronous form, for callers that may block (tests, a runner without ASYNC steps). */
  @Override
  public Outcome onRequest(Exchange exchange) throws Exception {
    return CancelScope.join(onRequestAsync(exchange));
  }

  @Override
  public CompletionStage<Outcome> onRequestAsync(Exchange exchange) {
    MessageView request = exchange.request();
    Mutation m = Mutation.create();
    for (String h : List.of(X_MCP_METHOD, X_MCP_TOOL, X_MCP_RESOURCE, X_MCP_PROMPT)) {
      if (request.headers().contains(h)) {
        m.removeHeader(h);
      }
    }
    List<JsonRpcMessage> messages;
    try {
      messages = parseBody(request);
    } catch (BodyException e) {
      return CompletableFuture.failedFuture(e);
    }
    Set<String> methods = new LinkedHashSet<>();
    Set<String> tools = new LinkedHashSet<>();
    Set<String> resources = new LinkedHashSet<>();
    Set<String> prompts = new LinkedHashSet<>();
    Set<String> toolsListIds = new HashSet<>();
    boolean initialize = false;
    String denied = null;
    for (JsonRpcMessage msg : messages) {
      methods.add(msg.method());
      switch (msg.method()) {
        case "tools/call" -> {
          addIfPresent(tools, msg.param("name"));
          if (denied == null && policy.isActive() && !policy.allows(msg.param("name"))) {
            denied = msg.param("name") == null ? "" : msg.param("name");
          }
        }
        case "resources/read" -> addIfPresent(resources, msg.param("uri"));
        case "prompts/get" -> addIfPresent(prompts, msg.param("name"));
        case "tools/list" -> {
          if (msg.isRequest()) {
            toolsListIds.add(msg.id().toString());
          }
        }
        case "initialize" -> initialize = true;
        default -> {}
      }
    }
    if (denied != null) {
      return CompletableFuture.completedFuture(deny(messages, denied));
    }
    setJoined(m, X_MCP_METHOD, methods);
    setJoined(m, X_MCP_TOOL, tools);
    setJoined(m, X_MCP_RESOURCE, resources);
    setJoined(m, X_MCP_PROMPT, prompts);
    String sessionId = request.headers().get(SESSION_HEADER);
    boolean delete = "DELETE".equals(request.headers().get(":method"));
    Pending pending = new Pending(initialize, delete, sessionId, Set.copyOf(toolsListIds));
    if (!sessions || sessionId == null || sessionId.isEmpty()) {
      return CompletableFuture.completedFuture(proceed(exchange, m, pending));
    }
    CancelScope scope = new CancelScope();
    return scope.bind(
        scope
            .track(store.getAsync(sessionKey(sessionId)))
            .thenApply(
                backend -> {
                  if (backend != null && isHeaderSafe(backend)) {
                    m.setHeader(backendHeader, backend);
                  }
                  return proceed(exchange, m, pending);
                }));
  }

  private Outcome proceed(Exchange exchange, Mutation m, Pending pending) {
    if (clearRouteCache && !m.isEmpty()) {
      m.clearRouteCache();
    }
    if (handlesResponse()) {
      exchange.attributes().put(attribute(), pending);
    }
    return Outcome.proceed(m);
  }

  private List<JsonRpcMessage> parseBody(MessageView request) throws BodyException {
    if (!request.hasBody() || request.rawBody().length == 0) {
      return List.of();
    }
    JsonNode body;
    try {
      body = request.json();
    } catch (BodyException e) {
      if (policy.isActive()) {
        // A lenient server might read what this strict parser refused (e.g. a duplicate "name"),
        // so a policy that cannot read the body must not let it through.
        throw e;
      }
      return List.of();
    }
    return JsonRpcMessage.parse(body);
  }

  private static void addIfPresent(Set<String> set, String value) {
    if (value != null) {
      set.add(value);
    }
  }

  private static void setJoined(Mutation m, String header, Set<String> values) {
    if (values.isEmpty()) {
      return;
    }
    String joined = String.join(",", values);
    if (isHeaderSafe(joined)) {
      m.setHeader(header, joined);
    }
  }

  /** Whether a value can travel as a header value (no control characters, bounded). */
  static boolean isHeaderSafe(String value) {
    if (value.isEmpty() || value.length() > MAX_HEADER_VALUE) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        return false;
      }
    }
    return true;
  }

  private Outcome deny(List<JsonRpcMessage> messages, String tool) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    boolean batch = messages.size() > 1;
    ArrayNode errors = f.arrayNode();
    for (JsonRpcMessage msg : messages) {
      if (!msg.isRequest()) {
        continue;
      }
      String callName = msg.param("name");
      boolean isDenied = "tools/call".equals(msg.method()) && !policy.allows(callName);
      String message =
          isDenied
              ? "tool not allowed by policy: " + (callName == null ? "(no name)" : callName)
              : "batch rejected: it contains a tool call that is not allowed by policy";
      ObjectNode e = errors.addObject();
      e.put("jsonrpc", "2.0");
      e.set("id", msg.id());
      ObjectNode error = e.putObject("error");
      error.put("code", errorCode);
      error.put("message", message);
    }
    Headers headers = new Headers();
    Mutation md = Mutation.create().metadata("mcp.denied_tool", tool);
    if (errors.isEmpty()) {
      // Only notifications: JSON-RPC answers nothing; streamable HTTP says 202 Accepted.
      return new Outcome.Respond(202, headers, new byte[0], md);
    }
    headers.set("content-type", "application/json");
    JsonNode body = batch ? errors : errors.get(0);
    return new Outcome.Respond(200, headers, body.toString().getBytes(StandardCharsets.UTF_8), md);
  }

  /** The synchronous form, for callers that may block (tests, a runner without ASYNC steps). */
  @Override
  public Outcome onResponse(Exchange exchange) throws Exception {
    return CancelScope.join(onResponseAsync(exchange));
  }

  /** Remembers or forgets the session (the step completes when the store has it), then filters. */
  @Override
  public CompletionStage<Outcome> onResponseAsync(Exchange exchange) {
    Pending p = (Pending) exchange.attributes().get(attribute());
    if (p == null) {
      return CompletableFuture.completedFuture(Outcome.proceed());
    }
    int status = exchange.responseStatus();
    MessageView response = exchange.response();
    if (!sessions || status < 200 || status >= 300) {
      return CompletableFuture.completedFuture(filtered(p, response));
    }
    CancelScope scope = new CancelScope();
    return scope.bind(
        scope.track(rememberSession(exchange, p, response)).thenApply(v -> filtered(p, response)));
  }

  private Outcome filtered(Pending p, MessageView response) {
    if (!policy.isActive() || p.toolsListIds().isEmpty() || !response.hasBody()) {
      return Outcome.proceed();
    }
    ToolsListFilter filter = new ToolsListFilter(policy, p.toolsListIds());
    try {
      if ("text/event-stream".equals(response.mediaType())) {
        return filterBufferedStream(response, filter);
      }
      JsonNode filtered = filter.filter(response.json());
      return filtered == null
          ? Outcome.proceed()
          : Outcome.proceed(Mutation.create().replaceJson(filtered));
    } catch (BodyException | SseParser.SseException e) {
      // Not JSON-RPC: not a tools/list result to filter.
      return Outcome.proceed();
    }
  }

  private CompletableFuture<Void> rememberSession(
      Exchange exchange, Pending p, MessageView response) {
    if (p.initialize()) {
      String session = response.headers().get(SESSION_HEADER);
      String backend = response.headers().get(backendResponseHeader);
      if (backend == null) {
        backend = exchange.request().headers().get(backendHeader);
      }
      if (session != null && !session.isEmpty() && backend != null && isHeaderSafe(backend)) {
        return store.putAsync(sessionKey(session), backend, sessionTtl);
      }
    } else if (p.delete() && p.sessionId() != null) {
      return store.deleteAsync(sessionKey(p.sessionId()));
    }
    return CompletableFuture.completedFuture(null);
  }

  private static Outcome filterBufferedStream(MessageView response, ToolsListFilter filter)
      throws BodyException, SseParser.SseException {
    SseParser parser = new SseParser();
    List<SseEvent> events = new ArrayList<>(parser.feed(response.body()));
    events.addAll(parser.finish());
    StringBuilder out = new StringBuilder();
    boolean changed = false;
    for (SseEvent e : events) {
      SseEvent f = filter.filter(e);
      changed |= isRewritten(f, e);
      out.append(f.toWire());
    }
    return changed
        ? Outcome.proceed(
            Mutation.create().replaceBody(out.toString().getBytes(StandardCharsets.UTF_8)))
        : Outcome.proceed();
  }

  @Override
  public SseStreamProcessor openSseStream(Exchange exchange) {
    Pending p = (Pending) exchange.attributes().get(attribute());
    ToolsListFilter filter =
        p == null || p.toolsListIds().isEmpty()
            ? null
            : new ToolsListFilter(policy, p.toolsListIds());
    return new SseStreamProcessor() {
      @Override
      public StreamStep onEvent(SseEvent event) {
        return StreamStep.pass(filter == null ? event : filter.filter(event));
      }

      @Override
      public StreamStep onEnd() {
        return StreamStep.emit(List.of());
      }
    };
  }

  /** Session ids are bearer-like secrets: only their hash is used as a key. */
  String sessionKey(String sessionId) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return prefix
          + "s:"
          + HexFormat.of().formatHex(md.digest(sessionId.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  @Override
  public void close() {
    store.close();
  }

  /** The filter returns the event it was given when it changes nothing: identity is the signal. */
  @SuppressWarnings("ReferenceEquality")
  private static boolean isRewritten(SseEvent filtered, SseEvent original) {
    return filtered != original;
  }
}
