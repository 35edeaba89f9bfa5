package io.payloadprocessor.server.batch;

import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Execution;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import io.payloadprocessor.spi.SseStreamProcessor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts, per processor, how often it asked to rewrite the body or change headers: the runner
 * applies mutations without saying whose they were, so each step's processor is wrapped. Counted as
 * the processor returned them (a result the runner then discards as late is still counted).
 */
final class MutationTally {
  /** Report keys. */
  static final String BODY = "rewrote_body";

  static final String HEADERS = "changed_headers";

  private final Map<String, Map<String, LongAdder>> counts = new ConcurrentHashMap<>();

  /** The steps with counting processors, each with {@code timeout}. */
  List<Step> wrap(List<Step> steps, Duration timeout) {
    List<Step> out = new ArrayList<>(steps.size());
    for (Step s : steps) {
      out.add(
          new Step(
              s.name(),
              s.document(),
              s.stage(),
              s.target(),
              s.failureMode(),
              timeout,
              s.type(),
              new Counting(s.name(), s.processor()),
              s.optional()));
    }
    return out;
  }

  /** processor to action to count (only non-zero counts). */
  Map<String, Map<String, Long>> snapshot() {
    Map<String, Map<String, Long>> out = new TreeMap<>();
    counts.forEach(
        (name, byAction) ->
            byAction.forEach(
                (action, n) ->
                    out.computeIfAbsent(name, k -> new TreeMap<>()).put(action, n.sum())));
    return out;
  }

  private void record(String processor, Outcome outcome) {
    if (!(outcome instanceof Outcome.Continue c)) {
      return;
    }
    Mutation m = c.mutation();
    if (m.body() != null || m.json() != null) {
      add(processor, BODY);
    }
    if (!m.setHeaders().isEmpty() || !m.removeHeaders().isEmpty()) {
      add(processor, HEADERS);
    }
  }

  private void add(String processor, String action) {
    counts
        .computeIfAbsent(processor, k -> new ConcurrentHashMap<>())
        .computeIfAbsent(action, k -> new LongAdder())
        .increment();
  }

  /** Delegates everything; only looks at what the processor returned. */
  private final class Counting implements Processor {
    private final String name;
    private final Processor delegate;

    Counting(String name, Processor delegate) {
      this.name = name;
      this.delegate = delegate;
    }

    @Override
    public Outcome onRequest(Exchange exchange) throws Exception {
      Outcome o = delegate.onRequest(exchange);
      record(name, o);
      return o;
    }

    @Override
    public Outcome onResponse(Exchange exchange) throws Exception {
      Outcome o = delegate.onResponse(exchange);
      record(name, o);
      return o;
    }

    @Override
    public boolean handlesRequest() {
      return delegate.handlesRequest();
    }

    @Override
    public boolean handlesResponse() {
      return delegate.handlesResponse();
    }

    @Override
    public boolean readsRequestBody() {
      return delegate.readsRequestBody();
    }

    @Override
    public boolean runsWithoutBody() {
      return delegate.runsWithoutBody();
    }

    @Override
    public boolean readsResponseBody() {
      return delegate.readsResponseBody();
    }

    @Override
    public Execution execution() {
      return delegate.execution();
    }

    @Override
    public boolean mayRunConcurrently() {
      return delegate.mayRunConcurrently();
    }

    @Override
    public CompletionStage<Outcome> onRequestAsync(Exchange exchange) {
      return delegate
          .onRequestAsync(exchange)
          .thenApply(
              o -> {
                record(name, o);
                return o;
              });
    }

    @Override
    public CompletionStage<Outcome> onResponseAsync(Exchange exchange) {
      return delegate
          .onResponseAsync(exchange)
          .thenApply(
              o -> {
                record(name, o);
                return o;
              });
    }

    @Override
    public SseStreamProcessor openSseStream(Exchange exchange) {
      return delegate.openSseStream(exchange);
    }

    @Override
    public Outcome onSseHeaders(Exchange exchange) throws Exception {
      return delegate.onSseHeaders(exchange);
    }

    @Override
    public boolean streamsSse() {
      return delegate.streamsSse();
    }
  }
}
