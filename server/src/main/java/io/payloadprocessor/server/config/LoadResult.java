package io.payloadprocessor.server.config;

import io.payloadprocessor.server.pipeline.Pipeline;
import java.util.List;

/**
 * The outcome of loading PayloadProcessor documents.
 *
 * @param pipeline the pipeline, or null when there are errors
 * @param errors every error found (empty on success)
 * @param warnings things that load but deserve attention, e.g. a document ignored because an older
 *     one targets the same phase and target; each names file, document and why
 * @param documents documents in force (ignored duplicates not counted)
 * @param processors processors in the pipeline
 * @param unreadable whether some file or directory could not be read at all (as opposed to read and
 *     found invalid)
 * @param ignoredDocuments valid documents not in force because an older one has the same phase and
 *     targetRef (each has a warning)
 */
public record LoadResult(
    Pipeline pipeline,
    List<ConfigError> errors,
    List<String> warnings,
    int documents,
    int processors,
    boolean unreadable,
    int ignoredDocuments) {

  public LoadResult {
    errors = List.copyOf(errors);
    warnings = List.copyOf(warnings);
  }

  /** A result without ignored documents. */
  public LoadResult(
      Pipeline pipeline,
      List<ConfigError> errors,
      List<String> warnings,
      int documents,
      int processors,
      boolean unreadable) {
    this(pipeline, errors, warnings, documents, processors, unreadable, 0);
  }

  /** Whether the config is valid and {@link #pipeline()} is set. */
  public boolean ok() {
    return errors.isEmpty() && pipeline != null;
  }
}
