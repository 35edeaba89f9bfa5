package io.payloadprocessor.modules.mcprouter;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which MCP tools may be called and listed: allowed if the allow list is empty or a pattern
 * matches, and no deny pattern matches. Patterns match whole names; {@code *} stands for any run of
 * characters.
 */
public final class ToolPolicy {
  private final List<Pattern> allow;
  private final List<Pattern> deny;

  public ToolPolicy(List<String> allow, List<String> deny) {
    this.allow = compile(allow);
    this.deny = compile(deny);
  }

  private static List<Pattern> compile(List<String> globs) {
    List<Pattern> out = new ArrayList<>();
    for (String g : globs) {
      StringBuilder re = new StringBuilder();
      int start = 0;
      for (int i = g.indexOf('*'); i >= 0; i = g.indexOf('*', start)) {
        re.append(Pattern.quote(g.substring(start, i))).append(".*");
        start = i + 1;
      }
      re.append(Pattern.quote(g.substring(start)));
      out.add(Pattern.compile(re.toString(), Pattern.DOTALL));
    }
    return List.copyOf(out);
  }

  /** Whether any rule is configured (otherwise every tool is allowed and nothing is filtered). */
  public boolean isActive() {
    return !allow.isEmpty() || !deny.isEmpty();
  }

  public boolean allows(String tool) {
    if (tool == null) {
      return allow.isEmpty();
    }
    for (Pattern p : deny) {
      if (p.matcher(tool).matches()) {
        return false;
      }
    }
    if (allow.isEmpty()) {
      return true;
    }
    for (Pattern p : allow) {
      if (p.matcher(tool).matches()) {
        return true;
      }
    }
    return false;
  }
}
