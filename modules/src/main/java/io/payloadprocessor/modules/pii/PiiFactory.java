package io.payloadprocessor.modules.pii;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.TypedModuleFactory;
import io.payloadprocessor.modules.common.GuardMetrics;
import io.payloadprocessor.modules.common.TextSlot.Kind;
import io.payloadprocessor.modules.common.UserRegex;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.Processor;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code pii} module: finds personal data and secrets in AI requests and responses and blocks,
 * masks or reports them per detector.
 *
 * <pre>
 * module:
 *   id: pii
 *   config:
 *     detectors:                      # required, at least one
 *       - type: email                 # email | phone | payment_card | us_ssn | iban | ipv4 | ipv6
 *         action: mask                # | aws_access_key | github_token | api_key | jwt
 *         mask: placeholder           # | private_key | secrets | regex
 *       - type: payment_card          # action: block | mask | report   (default mask)
 *         action: block               # mask: placeholder ([PAYMENT_CARD]) | partial
 *       - type: regex                 # replacement: "[REDACTED]" overrides the placeholder
 *         name: employee-id
 *         pattern: "EMP-[0-9]{6}"
 *         maxLength: 10               # default 256; matches longer are ignored
 *         caseInsensitive: false
 *         action: report
 *     scope: all                      # default: every string (and integer) value of the body;
 *                                     # or a list of content, tool_arguments, name, user,
 *                                     # metadata, other
 *     request: true                   # scan requests (default true)
 *     response: true                  # scan responses, JSON and SSE (default true)
 *     holdBackChars: 400              # SSE hold-back; default and minimum: longest span + 8
 *     status: 403                     # status of a block (default 403)
 *     decisionHeader: x-payload-processor-pii   # lists detector names found (mask/report)
 * </pre>
 *
 * <p>Blocks are {@code reason: pii_detected, rule: <detector name>}; the message names the
 * detector, never the value. Decisions are also written to dynamic metadata under {@code pii} and
 * counted in {@code payload_processor_guard_decisions_total}. On a streamed (SSE) response the
 * headers are already on their way, so the decision header is not added there; metadata is.
 */
public final class PiiFactory extends TypedModuleFactory<PiiConfig> {
  public static final String ID = "pii";

  /** Characters past the longest detector span that stream masking also holds (look-ahead). */
  static final int LOOKAHEAD_MARGIN = 8;

  private static final int MAX_CUSTOM_LENGTH = 8192;

  public PiiFactory() {
    super(ID, PiiConfig.class);
  }

  @Override
  protected Processor build(
      String processorName, PiiConfig c, ModuleContext context, List<ConfigProblem> problems)
      throws ConfigException {
    List<PiiRule> rules = rules(c, problems);
    Set<Kind> scope = scope(c.scope(), problems);
    int status = c.status() == null ? 403 : c.status();
    if (status < 400 || status > 599) {
      problems.add(new ConfigProblem("status", "must be an HTTP error status (400-599)"));
    }
    PiiScanner scanner = new PiiScanner(rules);
    int minHold = scanner.maxSpan() + LOOKAHEAD_MARGIN;
    int holdBack = c.holdBackChars() == null ? minHold : c.holdBackChars();
    if (holdBack < minHold) {
      problems.add(
          new ConfigProblem(
              "holdBackChars",
              "must be at least "
                  + minHold
                  + " (the longest span of the enabled detectors plus "
                  + LOOKAHEAD_MARGIN
                  + ")"));
    }
    String header =
        c.decisionHeader() == null ? "x-payload-processor-pii" : c.decisionHeader().trim();
    if (header.isEmpty() || !header.matches("[A-Za-z0-9-]+")) {
      problems.add(new ConfigProblem("decisionHeader", "must be an HTTP header name"));
    }
    boolean request = c.request() == null || c.request();
    boolean response = c.response() == null || c.response();
    if (!request && !response) {
      problems.add(new ConfigProblem("request", "request and response cannot both be false"));
    }
    throwIfAny(problems);
    return new PiiProcessor(
        processorName,
        scanner,
        scope,
        request,
        response,
        holdBack,
        status,
        header.toLowerCase(Locale.ROOT),
        GuardMetrics.forProcessor(context.metrics(), processorName));
  }

  private static List<PiiRule> rules(PiiConfig c, List<ConfigProblem> problems) {
    List<PiiRule> rules = new ArrayList<>();
    if (c.detectors() == null || c.detectors().isEmpty()) {
      problems.add(new ConfigProblem("detectors", "at least one detector is required"));
      return rules;
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < c.detectors().size(); i++) {
      String at = "detectors[" + i + "]";
      PiiConfig.DetectorConfig d = c.detectors().get(i);
      if (d == null) {
        problems.add(new ConfigProblem(at, "must be an object"));
        continue;
      }
      PiiAction action = action(d.action(), at, problems);
      boolean partial = partial(d.mask(), at, problems);
      if (d.replacement() != null && partial) {
        problems.add(new ConfigProblem(at + ".replacement", "not allowed with mask: partial"));
      }
      for (Detector det : detectors(d, at, problems)) {
        if (!names.add(det.name())) {
          problems.add(
              new ConfigProblem(
                  at + (d.name() != null ? ".name" : ".type"),
                  "detector '" + det.name() + "' is configured twice"));
        }
        String replacement = d.replacement() != null ? d.replacement() : "[" + det.label() + "]";
        rules.add(new PiiRule(det, action, partial, replacement));
      }
    }
    return rules;
  }

  private static List<Detector> detectors(
      PiiConfig.DetectorConfig d, String at, List<ConfigProblem> problems) {
    String type = d.type();
    if (type == null || type.isBlank()) {
      problems.add(new ConfigProblem(at + ".type", "is required"));
      return List.of();
    }
    if (type.equals("regex")) {
      return custom(d, at, problems);
    }
    for (String field : new String[] {"pattern", "caseInsensitive", "maxLength"}) {
      boolean set =
          field.equals("pattern")
              ? d.pattern() != null
              : field.equals("caseInsensitive")
                  ? d.caseInsensitive() != null
                  : d.maxLength() != null;
      if (set) {
        problems.add(new ConfigProblem(at + "." + field, "only allowed with type: regex"));
      }
    }
    if (d.name() != null) {
      problems.add(new ConfigProblem(at + ".name", "only allowed with type: regex"));
    }
    if (type.equals("secrets")) {
      List<Detector> out = new ArrayList<>();
      for (String s : Detectors.SECRETS) {
        out.add(Detectors.builtin(s));
      }
      return out;
    }
    Detector det = Detectors.builtin(type);
    if (det == null) {
      problems.add(
          new ConfigProblem(
              at + ".type",
              "unknown detector '"
                  + type
                  + "'; expected one of "
                  + String.join(", ", Detectors.builtinNames())
                  + ", secrets, regex"));
      return List.of();
    }
    return List.of(det);
  }

  private static List<Detector> custom(
      PiiConfig.DetectorConfig d, String at, List<ConfigProblem> problems) {
    boolean ok = true;
    if (d.name() == null || !d.name().matches("[a-z0-9][a-z0-9_-]{0,62}")) {
      problems.add(
          new ConfigProblem(at + ".name", "is required for type: regex ([a-z0-9_-], max 63)"));
      ok = false;
    } else if (Detectors.builtin(d.name()) != null || d.name().equals("secrets")) {
      problems.add(new ConfigProblem(at + ".name", "'" + d.name() + "' is a built-in detector"));
      ok = false;
    }
    int maxLength = d.maxLength() == null ? 256 : d.maxLength();
    if (maxLength < 1 || maxLength > MAX_CUSTOM_LENGTH) {
      problems.add(new ConfigProblem(at + ".maxLength", "must be 1-" + MAX_CUSTOM_LENGTH));
      ok = false;
    }
    UserRegex pattern = null;
    if (d.pattern() == null || d.pattern().isEmpty()) {
      problems.add(new ConfigProblem(at + ".pattern", "is required for type: regex"));
      ok = false;
    } else {
      try {
        pattern = UserRegex.compile(d.pattern(), Boolean.TRUE.equals(d.caseInsensitive()));
        if (pattern.matchesEmpty()) {
          problems.add(new ConfigProblem(at + ".pattern", "must not match the empty string"));
          ok = false;
        }
      } catch (UserRegex.InvalidRegexException e) {
        problems.add(new ConfigProblem(at + ".pattern", e.getMessage()));
        ok = false;
      }
    }
    return ok ? List.of(Detectors.custom(d.name(), pattern, maxLength)) : List.of();
  }

  /** Scope names as users write them. */
  private static final Map<String, Kind> SCOPES =
      Map.of(
          "content", Kind.CONTENT,
          "tool_arguments", Kind.TOOL_ARGUMENTS,
          "name", Kind.NAME,
          "user", Kind.USER,
          "metadata", Kind.METADATA,
          "other", Kind.OTHER);

  private static Set<Kind> scope(JsonNode node, List<ConfigProblem> problems) {
    if (node == null || node.isNull() || (node.isTextual() && node.asText().equals("all"))) {
      return EnumSet.allOf(Kind.class);
    }
    String expected =
        "must be all, or a list of content, tool_arguments, name, user, metadata, other";
    if (!node.isArray() || node.isEmpty()) {
      problems.add(new ConfigProblem("scope", expected));
      return EnumSet.allOf(Kind.class);
    }
    Set<Kind> out = EnumSet.noneOf(Kind.class);
    for (int i = 0; i < node.size(); i++) {
      String v = node.get(i).asText("");
      if (v.equals("all")) {
        out.addAll(EnumSet.allOf(Kind.class));
      } else if (SCOPES.containsKey(v) && node.get(i).isTextual()) {
        out.add(SCOPES.get(v));
      } else {
        problems.add(new ConfigProblem("scope[" + i + "]", expected));
      }
    }
    return out;
  }

  private static PiiAction action(String value, String at, List<ConfigProblem> problems) {
    if (value == null) {
      return PiiAction.MASK;
    }
    for (PiiAction a : PiiAction.values()) {
      if (a.label().equals(value)) {
        return a;
      }
    }
    problems.add(new ConfigProblem(at + ".action", "must be block, mask or report"));
    return PiiAction.MASK;
  }

  private static boolean partial(String value, String at, List<ConfigProblem> problems) {
    if (value == null || value.equals("placeholder")) {
      return false;
    }
    if (value.equals("partial")) {
      return true;
    }
    problems.add(new ConfigProblem(at + ".mask", "must be placeholder or partial"));
    return false;
  }
}
