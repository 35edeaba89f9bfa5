package io.payloadprocessor.server.config;

/**
 * One thing wrong with the PayloadProcessor config: where (file, line, document, field path) and
 * what.
 *
 * @param file the file (or source name) the document came from
 * @param line 1-based line of the field in the file (or of the nearest enclosing field that exists,
 *     for a missing one); 0 when unknown (documents given as trees, not text)
 * @param documentIndex 1-based position of the document in its file; 0 when the error concerns the
 *     file itself (unreadable, YAML syntax before any document)
 * @param documentName {@code metadata.name} of the document, or null if unknown
 * @param field the field path inside the document, e.g. {@code
 *     spec.processors[1].inProcess.request.setHeaders[0].value}; "" for the whole document
 * @param message what is wrong
 */
public record ConfigError(
    String file, int line, int documentIndex, String documentName, String field, String message) {

  public ConfigError {
    field = field == null ? "" : field;
  }

  /** An error without a line number. */
  public ConfigError(
      String file, int documentIndex, String documentName, String field, String message) {
    this(file, 0, documentIndex, documentName, field, message);
  }

  /**
   * E.g. {@code pp.yaml:14: document 2 (route-by-model): spec.processors[0].timeout: must be ...}
   * ({@code FILE:LINE:} as compilers print it, so editors and CI annotate the line).
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(file);
    if (line > 0) {
      sb.append(':').append(line);
    }
    if (documentIndex > 0) {
      sb.append(": document ").append(documentIndex);
      if (documentName != null && !documentName.isEmpty()) {
        sb.append(" (").append(documentName).append(')');
      }
    }
    if (!field.isEmpty()) {
      sb.append(": ").append(field);
    }
    return sb.append(": ").append(message).toString();
  }
}
