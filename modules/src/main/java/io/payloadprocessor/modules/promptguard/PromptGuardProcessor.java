package io.payloadprocessor.modules.promptguard;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.common.AiBodies;
import io.payloadprocessor.modules.common.GuardBody;
import io.payloadprocessor.modules.common.GuardMetrics;
import io.payloadprocessor.modules.common.JoinedParts;
import io.payloadprocessor.modules.common.SseBodies;
import io.payloadprocessor.modules.common.TextSlot;
import io.payloadprocessor.modules.common.TextSlot.Kind;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.BodyException;
import io.payloadprocessor.spi.Direction;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.MessageView;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseStreamProcessor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code prompt-guard} processor. Deny rules are checked first, on every text in scope and on
 * the joined text of multi-part contents (what the model reads); then, if allow rules are set,
 * every non-empty text in scope must match one of them. In report mode (shadow) the decision is
 * counted, written to a header and to metadata, and not enforced.
 */
public final class PromptGuardProcessor implements Processor {
  /** Dynamic-metadata key under which decisions are recorded. */
  public static final String METADATA_KEY = "prompt_guard";

  /** What the module validated. */
  record Settings(
      String name,
      List<PromptRule> deny,
      List<PromptRule> allow,
      Set<String> roles,
      boolean lastOnly,
      boolean toolArguments,
      Set<Kind> fields,
      boolean enforce,
      int status,
      boolean request,
      boolean response,
      String decisionHeader,
      int streamWindow) {}

  private final Settings settings;
  private final GuardMetrics metrics;

  PromptGuardProcessor(Settings settings, GuardMetrics metrics) {
    this.settings = settings;
    this.metrics = metrics;
  }

  @Override
  public boolean handlesRequest() {
    return settings.request();
  }

  @Override
  public boolean handlesResponse() {
    return settings.response();
  }

  @Override
  public boolean streamsSse() {
    return settings.response();
  }

  @Override
  public Outcome onRequest(Exchange exchange) throws BodyException {
    return settings.request() ? check(exchange.request(), Direction.REQUEST) : Outcome.proceed();
  }

  @Override
  public Outcome onResponse(Exchange exchange) throws BodyException {
    return settings.response() ? check(exchange.response(), Direction.RESPONSE) : Outcome.proceed();
  }

  @Override
  public SseStreamProcessor openSseStream(Exchange exchange) {
    return settings.response() ? new PromptGuardStream(this) : null;
  }

  Settings settings() {
    return settings;
  }

  private Outcome check(MessageView message, Direction direction) throws BodyException {
    GuardBody body = GuardBody.read(message);
    List<String> texts = new ArrayList<>();
    switch (body.form()) {
      case JSON -> {
        List<TextSlot> slots = inScope(body.json(), direction);
        for (TextSlot s : slots) {
          texts.add(s.text());
        }
        for (JoinedParts joined : JoinedParts.of(slots)) {
          Verdict v = denied(TextNormalizer.normalize(joined.text()));
          if (v != null) {
            return decide(v, direction);
          }
        }
      }
      case TEXT -> texts.add(body.text());
      case EVENT_STREAM -> {
        if (direction == Direction.RESPONSE) {
          SseBodies.Result r = SseBodies.run(message.body(), new PromptGuardStream(this));
          if (r.block() != null) {
            return Outcome.reject(r.block());
          }
          Mutation m = Mutation.create();
          r.metadata().forEach(m::metadata);
          return Outcome.proceed(m);
        }
        texts.add(body.text());
      }
      default -> {}
    }
    return decide(evaluate(texts), direction);
  }

  /**
   * The texts a request's or response's scope selects: the content of the roles in scope (of the
   * last message only, if asked), tool-call arguments if asked (decoded: the string values inside
   * the arguments' JSON), and the extra fields in scope ({@code name} of the messages in scope,
   * {@code user}, {@code metadata}, every other string).
   */
  List<TextSlot> inScope(JsonNode root, Direction direction) {
    boolean request = direction == Direction.REQUEST;
    List<TextSlot> slots =
        settings.fields().isEmpty()
            ? request ? AiBodies.requestSlots(root) : AiBodies.responseSlots(root)
            : AiBodies.everySlot(root, request);
    if (settings.toolArguments()) {
      slots = AiBodies.decodeToolArguments(slots, false);
    }
    int last = Integer.MIN_VALUE;
    if (request && settings.lastOnly()) {
      for (TextSlot s : slots) {
        if (s.kind() == Kind.CONTENT && settings.roles().contains(s.role())) {
          last = Math.max(last, s.messageIndex());
        }
      }
    }
    List<TextSlot> out = new ArrayList<>();
    for (TextSlot s : slots) {
      if (s.isNumber()) {
        continue;
      }
      boolean selected =
          switch (s.kind()) {
            case TOOL_ARGUMENTS -> settings.toolArguments();
            case CONTENT ->
                !request
                    || (settings.roles().contains(s.role())
                        && (!settings.lastOnly() || s.messageIndex() == last));
            case NAME ->
                settings.fields().contains(Kind.NAME)
                    && settings.roles().contains(s.role())
                    && (!settings.lastOnly() || s.messageIndex() == last);
            default -> settings.fields().contains(s.kind());
          };
      if (selected) {
        out.add(s);
      }
    }
    return out;
  }

  /** Deny first (any text), then allow (every non-empty text); null when all pass. */
  Verdict evaluate(List<String> texts) {
    List<String> normalized = new ArrayList<>(texts.size());
    for (String t : texts) {
      normalized.add(TextNormalizer.normalize(t));
    }
    for (String n : normalized) {
      Verdict v = denied(n);
      if (v != null) {
        return v;
      }
    }
    if (!settings.allow().isEmpty()) {
      for (String n : normalized) {
        if (!n.isEmpty() && !allowed(n)) {
          return new Verdict(Verdict.NOT_ALLOWED, "allow");
        }
      }
    }
    return null;
  }

  Verdict denied(String normalized) {
    for (PromptRule r : settings.deny()) {
      if (r.matches(normalized)) {
        return new Verdict(Verdict.DENIED, r.name());
      }
    }
    return null;
  }

  boolean allowed(String normalized) {
    for (PromptRule r : settings.allow()) {
      if (r.matches(normalized)) {
        return true;
      }
    }
    return false;
  }

  private Outcome decide(Verdict v, Direction direction) {
    if (v == null) {
      metrics.count("allow");
      if (settings.enforce()) {
        return Outcome.proceed();
      }
      return Outcome.proceed(
          Mutation.create()
              .setHeader(settings.decisionHeader(), "allow")
              .metadata(METADATA_KEY, metadata(null)));
    }
    if (settings.enforce()) {
      metrics.count("block");
      return Outcome.reject(block(v, direction));
    }
    metrics.count("report");
    return Outcome.proceed(
        Mutation.create()
            .setHeader(settings.decisionHeader(), v.header())
            .metadata(METADATA_KEY, metadata(v)));
  }

  /** The rejection for a verdict; the message names the rule, never the text. */
  Block block(Verdict v, Direction direction) {
    String what = direction == Direction.REQUEST ? "prompt" : "completion";
    String message =
        v.reason().equals(Verdict.DENIED)
            ? "the " + what + " matches deny rule '" + v.rule() + "'"
            : "the " + what + " does not match any allowed pattern";
    return new Block(settings.status(), v.reason(), v.rule(), message, false, null);
  }

  /** Shadow-mode metadata: what would have happened. */
  Map<String, Object> metadata(Verdict v) {
    Map<String, Object> md = new LinkedHashMap<>();
    md.put("processor", settings.name());
    md.put("decision", v == null ? "allow" : v.reason());
    if (v != null) {
      md.put("rule", v.rule());
    }
    md.put("enforced", settings.enforce());
    return md;
  }

  GuardMetrics metrics() {
    return metrics;
  }
}
