package io.payloadprocessor.modules.mcprouter;

import io.payloadprocessor.modules.store.StoreConfig;
import java.util.ArrayList;
import java.util.List;

/** The {@code config} of an {@code mcp-router} module. */
public final class McpRouterConfig {
  /** Ask Envoy to pick the route again after the routing headers were set. */
  public boolean clearRouteCache = true;

  public Session session = new Session();

  public Tools tools = new Tools();

  public StoreConfig store = new StoreConfig();

  /** Session stickiness: {@code Mcp-Session-Id} to the backend that answered {@code initialize}. */
  public static final class Session {
    public boolean enabled = true;

    /** Request header set on later requests of a session, for Envoy to route on. */
    public String backendHeader = "x-mcp-backend";

    /**
     * Response header naming the backend that answered {@code initialize}; when the response has
     * none, the value of {@link #backendHeader} on the request is remembered instead.
     */
    public String backendResponseHeader = "x-mcp-backend";

    public long ttlSeconds = 3600;

    /** Bound of the in-memory store (sessions). */
    public long maxSessions = 100_000;
  }

  /** Tool policy; names match exactly or with {@code *} wildcards. Deny wins over allow. */
  public static final class Tools {
    /** If not empty, only these tools may be called or listed. */
    public List<String> allow = new ArrayList<>();

    /** These tools may never be called or listed. */
    public List<String> deny = new ArrayList<>();

    /** JSON-RPC error code of a denied call (-32000..-32099: implementation-defined errors). */
    public int errorCode = -32001;
  }
}
