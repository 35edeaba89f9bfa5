package io.payloadprocessor.modules.promptguard;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.common.GuardMetrics;
import io.payloadprocessor.modules.common.TextSlot;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleConfigs;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.ModuleFactory;
import io.payloadprocessor.spi.Processor;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The {@code prompt-guard} module: deny and allow lists of regexes and keywords over normalised
 * prompt (and optionally completion) text.
 *
 * <pre>
 * module:
 *   id: prompt-guard
 *   config:
 *     deny:                              # checked first; any match rejects
 *       - pattern: "ignore (all )?(previous|prior) instructions"
 *       - keyword: "developer mode"
 *         name: dev-mode                 # rule name in decisions (default deny[i])
 *     allow:                             # if set, each scanned text must match one
 *       - pattern: "\\b(invoice|billing|refund)\\b"
 *     caseInsensitive: true              # default true
 *     scope:
 *       roles: [user]                    # system | user | assistant | tool (default [user])
 *       messages: all                    # all | last (only the latest message of those roles)
 *       toolArguments: false             # also scan tool-call arguments (default false)
 *     action: reject                     # reject | report (shadow mode: header, metric, metadata)
 *     status: 403                        # status of a rejection (default 403)
 *     request: true                      # check requests (default true)
 *     response: false                    # check completion text, JSON and SSE (default false)
 *     decisionHeader: x-payload-processor-prompt-guard   # report mode only
 *     streamWindowChars: 1024            # SSE: deny rules see the last N chars of a stream
 * </pre>
 *
 * <p>On responses the completion text is checked (scope roles do not apply; {@code toolArguments}
 * does). Rejections are {@code reason: prompt_denied, rule: <deny rule name>} or {@code reason:
 * prompt_not_allowed, rule: allow}; messages name the rule, never the text. In report mode the
 * header value is {@code allow} or {@code <reason>; rule=<rule>}, and metadata {@code prompt_guard}
 * holds {@code processor, decision, rule, enforced}; on streamed responses only the metadata is
 * written (the headers are already sent).
 */
public final class PromptGuardModule implements ModuleFactory {
  public static final String ID = "prompt-guard";

  private static final Set<String> ROLES =
      Set.of(TextSlot.SYSTEM, TextSlot.USER, TextSlot.ASSISTANT, TextSlot.TOOL);

  @Override
  public String id() {
    return ID;
  }

  @Override
  public Processor create(String processorName, JsonNode config, ModuleContext context)
      throws ConfigException {
    PromptGuardConfig c = ModuleConfigs.bind(config, PromptGuardConfig.class);
    List<ConfigProblem> problems = new ArrayList<>();
    boolean ci = c.caseInsensitive() == null || c.caseInsensitive();
    List<PromptRule> deny = rules("deny", c.deny(), ci, problems);
    List<PromptRule> allow = rules("allow", c.allow(), ci, problems);
    if (deny.isEmpty() && allow.isEmpty() && problems.isEmpty()) {
      problems.add(new ConfigProblem("deny", "at least one deny or allow rule is required"));
    }
    Set<String> roles = new LinkedHashSet<>(List.of(TextSlot.USER));
    boolean lastOnly = false;
    boolean toolArguments = false;
    if (c.scope() != null) {
      PromptGuardConfig.Scope s = c.scope();
      if (s.roles() != null) {
        roles.clear();
        if (s.roles().isEmpty()) {
          problems.add(new ConfigProblem("scope.roles", "must name at least one role"));
        }
        for (int i = 0; i < s.roles().size(); i++) {
          String r = s.roles().get(i);
          if (r == null || !ROLES.contains(r)) {
            problems.add(
                new ConfigProblem(
                    "scope.roles[" + i + "]", "must be one of system, user, assistant, tool"));
          } else {
            roles.add(r);
          }
        }
      }
      if (s.messages() != null) {
        if (s.messages().equals("last")) {
          lastOnly = true;
        } else if (!s.messages().equals("all")) {
          problems.add(new ConfigProblem("scope.messages", "must be all or last"));
        }
      }
      toolArguments = Boolean.TRUE.equals(s.toolArguments());
    }
    boolean enforce = true;
    if (c.action() != null) {
      if (c.action().equals("report")) {
        enforce = false;
      } else if (!c.action().equals("reject")) {
        problems.add(new ConfigProblem("action", "must be reject or report"));
      }
    }
    int status = c.status() == null ? 403 : c.status();
    if (status < 400 || status > 599) {
      problems.add(new ConfigProblem("status", "must be an HTTP error status (400-599)"));
    }
    boolean request = c.request() == null || c.request();
    boolean response = Boolean.TRUE.equals(c.response());
    if (!request && !response) {
      problems.add(new ConfigProblem("request", "request and response cannot both be false"));
    }
    String header =
        c.decisionHeader() == null ? "x-payload-processor-prompt-guard" : c.decisionHeader().trim();
    if (!header.matches("[A-Za-z0-9-]+")) {
      problems.add(new ConfigProblem("decisionHeader", "must be an HTTP header name"));
    }
    int window = c.streamWindowChars() == null ? 1024 : c.streamWindowChars();
    if (window < 64 || window > 65536) {
      problems.add(new ConfigProblem("streamWindowChars", "must be 64-65536"));
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new PromptGuardProcessor(
        new PromptGuardProcessor.Settings(
            processorName,
            deny,
            allow,
            Set.copyOf(roles),
            lastOnly,
            toolArguments,
            enforce,
            status,
            request,
            response,
            header.toLowerCase(Locale.ROOT),
            window),
        GuardMetrics.forProcessor(context.metrics(), processorName));
  }

  private static List<PromptRule> rules(
      String list, List<PromptGuardConfig.Rule> in, boolean ci, List<ConfigProblem> problems) {
    List<PromptRule> out = new ArrayList<>();
    if (in == null) {
      return out;
    }
    int flags = ci ? Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE : 0;
    for (int i = 0; i < in.size(); i++) {
      String at = list + "[" + i + "]";
      PromptGuardConfig.Rule r = in.get(i);
      if (r == null) {
        problems.add(new ConfigProblem(at, "must be an object with pattern or keyword"));
        continue;
      }
      boolean hasPattern = r.pattern() != null && !r.pattern().isEmpty();
      boolean hasKeyword = r.keyword() != null && !r.keyword().isBlank();
      if (hasPattern == hasKeyword) {
        problems.add(new ConfigProblem(at, "exactly one of pattern or keyword is required"));
        continue;
      }
      String name = r.name() == null || r.name().isBlank() ? at : r.name();
      try {
        Pattern p =
            hasPattern
                ? Pattern.compile(r.pattern(), flags)
                : Pattern.compile(Pattern.quote(TextNormalizer.normalize(r.keyword())), flags);
        if (hasPattern && p.matcher("").find()) {
          problems.add(new ConfigProblem(at + ".pattern", "must not match the empty string"));
          continue;
        }
        out.add(new PromptRule(name, p));
      } catch (PatternSyntaxException e) {
        problems.add(
            new ConfigProblem(
                at + ".pattern", "invalid regular expression: " + e.getDescription()));
      }
    }
    return out;
  }
}
