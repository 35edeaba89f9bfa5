package io.payloadprocessor.spi;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * What a processor sees of a request or a response: headers (lower-case names, pseudo-headers
 * included) and the body as mutated by the processors before it. Read-only: a processor changes a
 * message only by returning a {@link Mutation}.
 */
public interface MessageView {
  Headers headers();

  /** Whether the message has a body at all (a GET without body has none). */
  boolean hasBody();

  /**
   * The body as the application wrote it: content-encoding (gzip, deflate) removed. Empty if none.
   *
   * @throws BodyException 415 when the content-encoding is unknown or the bytes do not decode
   */
  byte[] body() throws BodyException;

  /** The body bytes exactly as they travel (still encoded). */
  byte[] rawBody();

  /**
   * The body parsed as JSON, parsed once per body version and shared by every processor. Treat the
   * tree as read-only; to change it, copy it ({@code deepCopy()}) and return the copy.
   *
   * @throws BodyException 400 when the body is not one valid JSON value, has duplicate keys, is
   *     nested too deep or is not valid UTF-8; 415 as for {@link #body()}
   */
  JsonNode json() throws BodyException;

  /** The body decoded as UTF-8 text. @throws BodyException 400 on invalid UTF-8 */
  String text() throws BodyException;

  /** The media type without parameters, lower-case, or "" if none. */
  String mediaType();
}
