/**
 * The {@code mcp-router} module: routing headers, session stickiness and a tool policy for Model
 * Context Protocol traffic (JSON-RPC 2.0 over streamable HTTP).
 *
 * <pre>{@code
 * processors:
 *   - name: mcp
 *     type: payload-processor.io/Module
 *     module:
 *       id: mcp-router
 *       config:
 *         clearRouteCache: true
 *         session:
 *           enabled: true
 *           backendHeader: x-mcp-backend          # set on later requests of a session
 *           backendResponseHeader: x-mcp-backend  # who answered initialize
 *           ttlSeconds: 3600
 *           maxSessions: 100000                   # in-memory store bound
 *         tools:
 *           allow: ["get_*", "search"]            # empty: every tool
 *           deny: ["get_secret*"]                 # wins over allow
 *           errorCode: -32001                     # JSON-RPC error code of a denied call
 *         store: {type: redis, url: redis://127.0.0.1:6379}   # default {type: memory}
 * }</pre>
 */
package io.payloadprocessor.modules.mcprouter;
