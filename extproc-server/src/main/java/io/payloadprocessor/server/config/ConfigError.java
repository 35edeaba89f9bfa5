package io.payloadprocessor.server.config;

/**
 * One thing wrong with the PayloadProcessor config: where (file, document, field path) and what.
 *
 * @param file the file (or source name) the document came from
 * @param documentIndex 1-based position of the document in its file; 0 when the error concerns the
 *     file itself (unreadable, YAML syntax before any document)
 * @param documentName {@code metadata.name} of the document, or null if unknown
 * @param field the field path inside the document, e.g. {@code
 *     spec.processors[1].inProcess.request.setHeaders[0].value}; "" for the whole document
 * @param message what is wrong
 */
public record ConfigError(
    String file, int documentIndex, String documentName, String field, String message) {

  public ConfigError {
    field = field == null ? "" : field;
  }

  /** E.g. {@code pp.yaml: document 2 (route-by-model): spec.processors[0].timeout: must be ...}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(file);
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
