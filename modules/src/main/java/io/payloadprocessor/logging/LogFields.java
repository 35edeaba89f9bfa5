package io.payloadprocessor.logging;

import org.slf4j.MDC;

/**
 * Field names of structured log lines, and the per-exchange logging context.
 *
 * <p><b>Structured fields.</b> Put what a line is about in fields, not in the message text, with
 * SLF4J's fluent API; the JSON format ({@code --log-format json}, logstash-logback-encoder) writes
 * each as a top-level field, the text format appends {@code key="value"}:
 *
 * <pre>{@code
 * log.atWarn()
 *     .addKeyValue(LogFields.PROCESSOR, step.name())
 *     .addKeyValue(LogFields.PHASE, "request")
 *     .addKeyValue(LogFields.OUTCOME, "failed_open")
 *     .addKeyValue(LogFields.REASON, block.reason())
 *     .log("processor failed open");
 * }</pre>
 *
 * <p>The message is a constant (or built from config and code only). <b>Nothing derived from a body
 * or a header value goes into a log line</b>, neither in the message, nor in a field, nor in an
 * exception's message: describe a value by its kind, size or position (see {@link
 * io.payloadprocessor.runtime.JsonErrors}), never by its content. Repeated WARN/ERROR lines with
 * the same message template are rate-limited by the server's logging set-up, so a template must not
 * embed per-request values (use fields): identical templates are what the limiter counts.
 *
 * <p><b>Exchange context.</b> While a thread works on an exchange, {@link #exchange(String)} puts
 * its request id in the MDC under {@value #REQUEST_ID}, so every line logged meanwhile carries it
 * (in JSON as a field, in text after the level). The same scope is where tracing adds {@value
 * #TRACE_ID} and {@value #SPAN_ID}, so log lines join the exchange's trace:
 *
 * <pre>{@code
 * try (LogFields.Scope scope = LogFields.exchange(exchange.requestId())) {
 *   scope.put(LogFields.TRACE_ID, span.getSpanContext().getTraceId());
 *   ... // runs the pipeline; log lines here carry request_id and trace_id
 * }
 * }</pre>
 *
 * <p>MDC is per thread: work continued on another thread (a CPU pool task, an async completion)
 * opens its own scope there.
 */
public final class LogFields {
  /** The exchange's request id ({@code x-request-id} if safe, see {@link RequestIds}). */
  public static final String REQUEST_ID = "request_id";

  /** W3C trace id (32 hex digits) of the exchange's span. */
  public static final String TRACE_ID = "trace_id";

  /** W3C span id (16 hex digits) current on this thread. */
  public static final String SPAN_ID = "span_id";

  /** Processor name, as in the PayloadProcessor document. */
  public static final String PROCESSOR = "processor";

  /** {@code request} or {@code response}. */
  public static final String PHASE = "phase";

  /**
   * What happened to a step or exchange: {@code continue}, {@code reject}, {@code respond}, {@code
   * failed_open}, {@code timeout}, {@code error}.
   */
  public static final String OUTCOME = "outcome";

  /** Machine-readable reason code, e.g. {@code invalid_json}, {@code pii_detected}. */
  public static final String REASON = "reason";

  /** Rule or detector that matched (from config), never the matched value. */
  public static final String RULE = "rule";

  /** HTTP status the client receives. */
  public static final String STATUS = "status";

  /** Elapsed time in milliseconds (a number). */
  public static final String DURATION_MS = "duration_ms";

  private LogFields() {}

  /** Opens the logging context of one exchange on this thread; close it when leaving. */
  public static Scope exchange(String requestId) {
    Scope scope = new Scope();
    scope.put(REQUEST_ID, requestId);
    return scope;
  }

  /**
   * MDC entries put on one thread; {@link #close()} restores what each key held before, so scopes
   * nest.
   */
  public static final class Scope implements AutoCloseable {
    private final java.util.ArrayList<String[]> saved = new java.util.ArrayList<>(3);

    private Scope() {}

    /** Adds a field to every line logged on this thread until {@link #close()}. */
    public Scope put(String key, String value) {
      saved.add(new String[] {key, MDC.get(key)});
      if (value == null) {
        MDC.remove(key);
      } else {
        MDC.put(key, value);
      }
      return this;
    }

    @Override
    public void close() {
      for (int i = saved.size() - 1; i >= 0; i--) {
        String[] kv = saved.get(i);
        if (kv[1] == null) {
          MDC.remove(kv[0]);
        } else {
          MDC.put(kv[0], kv[1]);
        }
      }
      saved.clear();
    }
  }
}
