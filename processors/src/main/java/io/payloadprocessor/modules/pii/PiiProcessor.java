package io.payloadprocessor.modules.pii;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.modules.common.AiBodies;
import io.payloadprocessor.modules.common.GuardBody;
import io.payloadprocessor.modules.common.GuardMetrics;
import io.payloadprocessor.modules.common.SseBodies;
import io.payloadprocessor.modules.common.TextSlot;
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
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code pii} processor: scans message contents and tool arguments of requests, and completion
 * text of JSON and SSE responses. Stateless; a stream's state lives in its {@link PiiSseStream}.
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
  private final GuardMetrics metrics;

  PiiProcessor(
      String name,
      PiiScanner scanner,
      boolean request,
      boolean response,
      int holdBack,
      int status,
      String decisionHeader,
      GuardMetrics metrics) {
    this.name = name;
    this.scanner = scanner;
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
    switch (body.form()) {
      case JSON:
        return scanJson(body.json(), direction);
      case TEXT:
        return scanText(body.text(), direction);
      case EVENT_STREAM:
        return direction == Direction.RESPONSE
            ? scanEventStream(message.body())
            : scanText(body.text(), direction);
      default:
        metrics.count("allow");
        return Outcome.proceed();
    }
  }

  private Outcome scanJson(JsonNode root, Direction direction) {
    List<TextSlot> slots = slots(root, direction);
    List<List<Finding>> perSlot = new ArrayList<>(slots.size());
    Decision decision = new Decision();
    for (TextSlot slot : slots) {
      List<Finding> all = scanner.findAll(slot.text());
      Finding blocking = PiiScanner.firstBlocking(all);
      if (blocking != null) {
        metrics.count("block");
        return Outcome.reject(block(direction, blocking));
      }
      List<Finding> resolved = PiiScanner.resolve(all);
      decision.add(resolved);
      perSlot.add(resolved);
    }
    Mutation mutation = decision.mutation();
    if (!decision.masked.isEmpty()) {
      // Rewrite a private copy: the parsed tree is shared with the processors before and after.
      JsonNode copy = root.deepCopy();
      List<TextSlot> copySlots = slots(copy, direction);
      for (int i = 0; i < copySlots.size(); i++) {
        TextSlot s = copySlots.get(i);
        s.replace(Masker.apply(s.text(), perSlot.get(i), 0));
      }
      mutation.replaceJson(copy);
    }
    return Outcome.proceed(mutation);
  }

  private static List<TextSlot> slots(JsonNode root, Direction direction) {
    return direction == Direction.REQUEST
        ? AiBodies.requestSlots(root)
        : AiBodies.responseSlots(root);
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
