package io.payloadprocessor.modules.promptguard;

import io.payloadprocessor.modules.TypedModuleFactory;
import io.payloadprocessor.modules.common.GuardMetrics;
import io.payloadprocessor.modules.common.TextSlot;
import io.payloadprocessor.modules.common.TextSlot.Kind;
import io.payloadprocessor.modules.common.UserRegex;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.Processor;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

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
 *       fields: []                       # also: name, user, metadata, other, all (default none)
 *     action: reject                     # reject | report (shadow mode: header, metric, metadata)
 *     status: 403                        # status of a rejection (default 403)
 *     request: true                      # check requests (default true)
 *     response: false                    # check completion text, JSON and SSE (default false)
 *     decisionHeader: x-payload-processor-prompt-guard   # report mode only
 *     streamWindowChars: 1024            # SSE: text held back so a phrase of up to N chars
 *                                        # split across events is caught before any of it passes
 * </pre>
 *
 * <p>On responses the completion text is checked (scope roles do not apply; {@code toolArguments}
 * does). Rejections are {@code reason: prompt_denied, rule: <deny rule name>} or {@code reason:
 * prompt_not_allowed, rule: allow}; messages name the rule, never the text. In report mode the
 * header value is {@code allow} or {@code <reason>; rule=<rule>}, and metadata {@code prompt_guard}
 * holds {@code processor, decision, rule, enforced}; on streamed responses only the metadata is
 * written (the headers are already sent).
 */
public final class PromptGuardFactory extends TypedModuleFactory<PromptGuardConfig> {
  public static final String ID = "prompt-guard";

  /** Extra fields of {@code scope.fields}, as users write them. */
  private static final java.util.Map<String, Kind> FIELDS =
      java.util.Map.of(
          "name", Kind.NAME, "user", Kind.USER, "metadata", Kind.METADATA, "other", Kind.OTHER);

  private static final Set<String> ROLES =
      Set.of(TextSlot.SYSTEM, TextSlot.USER, TextSlot.ASSISTANT, TextSlot.TOOL);

  public PromptGuardFactory() {
    super(ID, PromptGuardConfig.class);
  }

  @Override
  protected Processor build(
      String processorName,
      PromptGuardConfig c,
      ModuleContext context,
      List<ConfigProblem> problems)
      throws ConfigException {
    boolean ci = c.caseInsensitive() == null || c.caseInsensitive();
    List<PromptRule> deny = rules("deny", c.deny(), ci, problems);
    List<PromptRule> allow = rules("allow", c.allow(), ci, problems);
    if (deny.isEmpty() && allow.isEmpty() && problems.isEmpty()) {
      problems.add(new ConfigProblem("deny", "at least one deny or allow rule is required"));
    }
    Set<String> roles = new LinkedHashSet<>(List.of(TextSlot.USER));
    boolean lastOnly = false;
    boolean toolArguments = false;
    Set<Kind> fields = EnumSet.noneOf(Kind.class);
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
      if (s.fields() != null) {
        for (int i = 0; i < s.fields().size(); i++) {
          String f = s.fields().get(i);
          if ("all".equals(f)) {
            fields.addAll(FIELDS.values());
          } else if (f != null && FIELDS.containsKey(f)) {
            fields.add(FIELDS.get(f));
          } else {
            problems.add(
                new ConfigProblem(
                    "scope.fields[" + i + "]", "must be one of name, user, metadata, other, all"));
          }
        }
      }
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
    throwIfAny(problems);
    return new PromptGuardProcessor(
        new PromptGuardProcessor.Settings(
            processorName,
            deny,
            allow,
            Set.copyOf(roles),
            lastOnly,
            toolArguments,
            Set.copyOf(fields),
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
        UserRegex p =
            hasPattern
                ? UserRegex.compile(r.pattern(), ci)
                : UserRegex.literal(TextNormalizer.normalize(r.keyword()), ci);
        if (hasPattern && p.matchesEmpty()) {
          problems.add(new ConfigProblem(at + ".pattern", "must not match the empty string"));
          continue;
        }
        out.add(new PromptRule(name, p));
      } catch (UserRegex.InvalidRegexException e) {
        problems.add(new ConfigProblem(at + ".pattern", e.getMessage()));
      }
    }
    return out;
  }
}
