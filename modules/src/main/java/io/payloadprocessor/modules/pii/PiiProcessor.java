package io.payloadprocessor.modules.pii;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.common.AiBodies;
import io.payloadprocessor.modules.common.GuardBody;
import io.payloadprocessor.modules.common.GuardMetrics;
import io.payloadprocessor.modules.common.InterruptibleText;
import io.payloadprocessor.modules.common.JoinedParts;
import io.payloadprocessor.modules.common.JsonSplicer;
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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code pii} processor: scans the string values its scope selects (by default every one) of
 * requests and of JSON and SSE responses, tool-call arguments decoded, multi-part contents also
 * joined. Stateless; a stream's state lives in its {@link PiiSseStream}.
 */
public final class PiiProcessor implements Processor {
  /** Dynamic-metadata key under which decisions are recorded. */
  public static final String METADATA_KEY = "pii";

  /** Block reason code. */
  public static final String REASON = "pii_detected";

  private final String name;
  private final PiiScanner scanner;
  private final boolean request;
  private final boolean response;
  private final int holdBack;
  private final int status;
  private final String decisionHeader;
  private final Set<Kind> scope;
  private final GuardMetrics metrics;

  PiiProcessor(
      String name,
      PiiScanner scanner,
      Set<Kind> scope,
      boolean request,
      boolean response,
      int holdBack,
      int status,
      String decisionHeader,
      GuardMetrics metrics) {
    this.name = name;
    this.scanner = scanner;
    this.scope = Set.copyOf(scope);
    this.request = request;
    this.response = response;
    this.holdBack = holdBack;
    this.status = status;
    this.decisionHeader = decisionHeader;
    this.metrics = metrics;
  }

  @Override
  public boolean handlesRequest() {
    return request;
  }

  @Override
  public boolean handlesResponse() {
    return response;
  }

  @Override
  public boolean streamsSse() {
    return response;
  }

  /** The stream hold-back window in characters. */
  public int holdBack() {
    return holdBack;
  }

  @Override
  public Outcome onRequest(Exchange exchange) throws BodyException {
    return request ? scan(exchange.request(), Direction.REQUEST) : Outcome.proceed();
  }

  @Override
  public Outcome onResponse(Exchange exchange) throws BodyException {
    return response ? scan(exchange.response(), Direction.RESPONSE) : Outcome.proceed();
  }

  @Override
  public SseStreamProcessor openSseStream(Exchange exchange) {
    return response ? newStream() : null;
  }

  /** A fresh stream state (also used on buffered event-stream bodies). */
  PiiSseStream newStream() {
    return new PiiSseStream(this);
  }

  PiiScanner scanner() {
    return scanner;
  }

  GuardMetrics metrics() {
    return metrics;
  }

  Block block(Direction direction, Finding f) {
    return new Block(
        status,
        REASON,
        f.rule().name(),
        "the "
            + direction.label()
            + " contains a value detected as "
            + f.rule().name()
            + ", which policy does not allow",
        false,
        null);
  }

  private Outcome scan(MessageView message, Direction direction) throws BodyException {
    GuardBody body = GuardBody.read(message);
    return switch (body.form()) {
      case JSON -> scanJson(message.body(), body.json(), direction);
      case TEXT -> scanText(body.text(), direction);
      case EVENT_STREAM ->
          direction == Direction.RESPONSE
              ? scanEventStream(message.body())
              : scanText(body.text(), direction);
      default -> {
        metrics.count("allow");
        yield Outcome.proceed();
      }
    };
  }

  /** The slots of a body that the scope selects, tool-call arguments decoded. */
  List<TextSlot> slots(JsonNode root, boolean request) {
    boolean onlyText = EnumSet.of(Kind.CONTENT, Kind.TOOL_ARGUMENTS).containsAll(scope);
    List<TextSlot> all =
        !onlyText
            ? AiBodies.everySlot(root, request)
            : request ? AiBodies.requestSlots(root) : AiBodies.responseSlots(root);
    List<TextSlot> out = new ArrayList<>(all.size());
    for (TextSlot s : AiBodies.decodeToolArguments(all, true)) {
      if (inScope(s)) {
        out.add(s);
      }
    }
    return out;
  }

  /** Whether the scope covers a slot. */
  boolean inScope(TextSlot slot) {
    return scope.contains(slot.kind());
  }

  /**
   * Scans every slot in scope, then the joined text of multi-part contents (a value split across
   * two parts is masked in both). Masks are spliced into the body as the client sent it.
   */
  private Outcome scanJson(byte[] raw, JsonNode root, Direction direction) {
    List<TextSlot> slots = slots(root, direction == Direction.REQUEST);
    Decision decision = new Decision();
    IdentityHashMap<TextSlot, List<Finding>> perSlot = new IdentityHashMap<>();
    for (TextSlot slot : slots) {
      InterruptibleText.checkInterrupted();
      List<Finding> all = scanner.findAll(slot.text());
      Finding blocking = PiiScanner.firstBlocking(all);
      if (blocking != null) {
        metrics.count("block");
        return Outcome.reject(block(direction, blocking));
      }
      List<Finding> resolved = PiiScanner.resolve(all);
      decision.add(resolved);
      perSlot.put(slot, resolved);
    }
    // Values split across content parts: found in the joined text, masked piece by piece.
    IdentityHashMap<TextSlot, List<int[]>> crossPieces = new IdentityHashMap<>();
    IdentityHashMap<TextSlot, List<String>> crossTexts = new IdentityHashMap<>();
    for (JoinedParts joined : JoinedParts.of(slots)) {
      for (Finding f : PiiScanner.resolve(scanner.findAll(joined.text()))) {
        if (joined.within(f.start(), f.end()) >= 0) {
          continue; // inside one part: that part's own scan decided it
        }
        if (f.rule().action() == PiiAction.BLOCK) {
          metrics.count("block");
          return Outcome.reject(block(direction, f));
        }
        decision.add(List.of(f));
        if (f.rule().action() != PiiAction.MASK) {
          continue;
        }
        String mask = Masker.mask(f.rule(), joined.text().substring(f.start(), f.end()));
        boolean first = true;
        for (int[] piece : joined.pieces(f.start(), f.end())) {
          TextSlot part = joined.parts().get(piece[0]);
          crossPieces
              .computeIfAbsent(part, k -> new ArrayList<>())
              .add(new int[] {piece[1], piece[2]});
          crossTexts.computeIfAbsent(part, k -> new ArrayList<>()).add(first ? mask : "");
          first = false;
        }
      }
    }
    Mutation mutation = decision.mutation();
    if (!decision.masked.isEmpty()) {
      JsonSplicer splicer = new JsonSplicer();
      for (TextSlot slot : slots) {
        List<int[]> cross = crossPieces.getOrDefault(slot, List.of());
        for (int i = 0; i < cross.size(); i++) {
          splicer.replace(slot, cross.get(i)[0], cross.get(i)[1], crossTexts.get(slot).get(i));
        }
        for (Finding f : perSlot.get(slot)) {
          if (f.rule().action() == PiiAction.MASK && !overlaps(f, cross)) {
            String value = slot.text().substring(f.start(), f.end());
            splicer.replace(slot, f.start(), f.end(), Masker.mask(f.rule(), value));
          }
        }
      }
      mutation.replaceBody(splicer.applyToBody(raw));
    }
    return Outcome.proceed(mutation);
  }

  private static boolean overlaps(Finding f, List<int[]> ranges) {
    for (int[] r : ranges) {
      if (f.start() < r[1] && r[0] < f.end()) {
        return true;
      }
    }
    return false;
  }

  private Outcome scanText(String text, Direction direction) {
    List<Finding> all = scanner.findAll(text);
    Finding blocking = PiiScanner.firstBlocking(all);
    if (blocking != null) {
      metrics.count("block");
      return Outcome.reject(block(direction, blocking));
    }
    List<Finding> resolved = PiiScanner.resolve(all);
    Decision decision = new Decision();
    decision.add(resolved);
    Mutation mutation = decision.mutation();
    if (!decision.masked.isEmpty()) {
      mutation.replaceBody(Masker.apply(text, resolved, 0).getBytes(StandardCharsets.UTF_8));
    }
    return Outcome.proceed(mutation);
  }

  private Outcome scanEventStream(byte[] body) throws BodyException {
    PiiSseStream stream = newStream();
    SseBodies.Result r = SseBodies.run(body, stream);
    if (r.block() != null) {
      return Outcome.reject(r.block());
    }
    Mutation mutation = Mutation.create();
    r.metadata().forEach(mutation::metadata);
    Set<String> found = stream.detected();
    if (!found.isEmpty()) {
      mutation.setHeader(decisionHeader, String.join(",", found));
    }
    if (r.changed()) {
      mutation.replaceBody(r.body());
    }
    return Outcome.proceed(mutation);
  }

  /** What one message's findings add up to. */
  private final class Decision {
    final Set<String> masked = new LinkedHashSet<>();
    final Set<String> reported = new LinkedHashSet<>();

    void add(List<Finding> findings) {
      for (Finding f : findings) {
        (f.rule().action() == PiiAction.MASK ? masked : reported).add(f.rule().name());
      }
    }

    Mutation mutation() {
      Mutation m = Mutation.create();
      if (masked.isEmpty() && reported.isEmpty()) {
        metrics.count("allow");
        return m;
      }
      Set<String> all = new LinkedHashSet<>(masked);
      all.addAll(reported);
      metrics.count(masked.isEmpty() ? "report" : "mask");
      m.setHeader(decisionHeader, String.join(",", all));
      m.metadata(METADATA_KEY, metadata(name, masked, reported));
      return m;
    }
  }

  static Map<String, Object> metadata(String processor, Set<String> masked, Set<String> reported) {
    Map<String, Object> md = new LinkedHashMap<>();
    md.put("processor", processor);
    md.put("action", masked.isEmpty() ? "report" : "mask");
    Set<String> all = new LinkedHashSet<>(masked);
    all.addAll(reported);
    md.put("detectors", List.copyOf(all));
    md.put("masked", List.copyOf(masked));
    md.put("reported", List.copyOf(reported));
    return md;
  }

  String name() {
    return name;
  }
}
