package io.payloadprocessor.modules.mcprouter;

import io.lettuce.core.RedisURI;
import io.payloadprocessor.modules.TypedModuleFactory;
import io.payloadprocessor.modules.store.StoreConfig;
import io.payloadprocessor.modules.store.Stores;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.Processor;
import java.time.Duration;
import java.util.List;

/** The {@code mcp-router} module: routing headers, session stickiness and tool policy for MCP. */
public final class McpRouterFactory extends TypedModuleFactory<McpRouterConfig> {
  public static final String ID = "mcp-router";

  public McpRouterFactory() {
    super(ID, McpRouterConfig.class);
  }

  @Override
  public java.util.Set<String> optionKeys() {
    return java.util.Set.of(Stores.REDIS_URL_OPTION);
  }

  @Override
  protected Processor build(
      String processorName, McpRouterConfig c, ModuleContext context, List<ConfigProblem> problems)
      throws ConfigException {
    McpRouterConfig.Session s = c.session == null ? new McpRouterConfig.Session() : c.session;
    McpRouterConfig.Tools t = c.tools == null ? new McpRouterConfig.Tools() : c.tools;
    checkHeader(s.backendHeader, "session.backendHeader", problems);
    checkHeader(s.backendResponseHeader, "session.backendResponseHeader", problems);
    if (s.ttlSeconds <= 0) {
      problems.add(new ConfigProblem("session.ttlSeconds", "must be positive"));
    }
    if (s.maxSessions <= 0) {
      problems.add(new ConfigProblem("session.maxSessions", "must be positive"));
    }
    checkPatterns(t.allow, "tools.allow", problems);
    checkPatterns(t.deny, "tools.deny", problems);
    StoreConfig storeConfig = c.store == null ? new StoreConfig() : c.store;
    RedisURI redis = Stores.validate(storeConfig, context, "store", problems);
    throwIfAny(problems);
    return new McpRouterProcessor(
        processorName,
        c.clearRouteCache,
        new ToolPolicy(t.allow == null ? List.of() : t.allow, t.deny == null ? List.of() : t.deny),
        t.errorCode,
        s.enabled,
        s.backendHeader,
        s.backendResponseHeader,
        Duration.ofSeconds(s.ttlSeconds),
        Stores.open(redis, s.maxSessions),
        Stores.keyPrefix(storeConfig, ID));
  }

  private static void checkHeader(String header, String field, List<ConfigProblem> problems) {
    if (header == null || header.isBlank() || header.startsWith(":") || header.contains(" ")) {
      problems.add(new ConfigProblem(field, "must be a header name"));
    }
  }

  private static void checkPatterns(
      List<String> patterns, String field, List<ConfigProblem> problems) {
    if (patterns == null) {
      return;
    }
    for (int i = 0; i < patterns.size(); i++) {
      String p = patterns.get(i);
      if (p == null || p.isEmpty()) {
        problems.add(new ConfigProblem(field + "[" + i + "]", "must be a tool name or pattern"));
      }
    }
  }
}
