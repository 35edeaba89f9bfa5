package io.payloadprocessor.spi;

/**
 * What one processor decided: continue (with a possibly empty {@link Mutation}), block (a {@link
 * Block} that becomes a rejection record), or respond (a complete synthetic response, such as a
 * cache hit, that short-circuits the exchange without being an error).
 */
public sealed interface Outcome permits Outcome.Continue, Outcome.Reject, Outcome.Respond {

  Outcome CONTINUE = new Continue(Mutation.create());

  static Outcome proceed() {
    return CONTINUE;
  }

  static Outcome proceed(Mutation mutation) {
    return new Continue(mutation);
  }

  static Outcome reject(Block block) {
    return new Reject(block);
  }

  static Outcome respond(int status, Headers headers, byte[] body) {
    return new Respond(status, headers, body, Mutation.create());
  }

  /** Continue the pipeline after applying the mutation. */
  record Continue(Mutation mutation) implements Outcome {}

  /** Stop the pipeline; the client receives the rendered rejection. */
  record Reject(Block block) implements Outcome {}

  /**
   * Stop the pipeline and answer with this response. {@code mutation} may carry dynamic metadata.
   */
  record Respond(int status, Headers headers, byte[] body, Mutation mutation) implements Outcome {}
}
