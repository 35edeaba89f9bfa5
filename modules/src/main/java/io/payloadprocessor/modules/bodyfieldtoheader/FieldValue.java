package io.payloadprocessor.modules.bodyfieldtoheader;

/**
 * What a {@link StreamingFieldExtractor} found at the path: a scalar rendered as header text, or
 * why there is none.
 */
public record FieldValue(Kind kind, String text) {
  /** The shape of the value at the path. */
  public enum Kind {
    /** A string, number or boolean; {@link #text()} holds its header form. */
    SCALAR,
    /** The path leads nowhere (or through a value of the wrong type). */
    MISSING,
    /** The field is present with JSON {@code null}. */
    NULL,
    /** An object or array: it has no header form. */
    NON_SCALAR
  }

  static final FieldValue MISSING = new FieldValue(Kind.MISSING, null);
  static final FieldValue NULL = new FieldValue(Kind.NULL, null);
  static final FieldValue NON_SCALAR = new FieldValue(Kind.NON_SCALAR, null);

  static FieldValue scalar(String text) {
    return new FieldValue(Kind.SCALAR, text);
  }
}
