package io.payloadprocessor.modules.mcprouter;

import io.payloadprocessor.modules.testing.TestContext;
import io.payloadprocessor.runtime.HttpMessage;
import java.nio.charset.StandardCharsets;

/** Builds mcp-router processors from JSON configs. */
final class McpHarness {
  static final String PATH = "/mcp";

  private McpHarness() {}

  static McpRouterProcessor router(String configJson) throws Exception {
    return router(configJson, new TestContext());
  }

  static McpRouterProcessor router(String configJson, TestContext ctx) throws Exception {
    return (McpRouterProcessor)
        new McpRouterFactory()
            .create(
                "mcp",
                configJson == null
                    ? null
                    : HttpMessage.parseJson(configJson.getBytes(StandardCharsets.UTF_8)),
                ctx);
  }

  static String call(Object id, String tool) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"method\":\"tools/call\",\"params\":{\"name\":\""
        + tool
        + "\",\"arguments\":{}}}";
  }

  static String toolsListResult(Object id) {
    return "{\"jsonrpc\":\"2.0\",\"id\":"
        + id
        + ",\"result\":{\"tools\":[{\"name\":\"get_weather\",\"inputSchema\":{}},"
        + "{\"name\":\"delete_file\",\"inputSchema\":{}},"
        + "{\"name\":\"admin_reset\",\"inputSchema\":{}}]}}";
  }
}
