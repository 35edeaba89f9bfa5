package io.payloadprocessor.spi;

import java.util.List;

/** A config that cannot be used; carries every problem found, each with its field path. */
public class ConfigException extends Exception {
  private static final long serialVersionUID = 1L;

  @SuppressWarnings("serial") // records are serialisable enough for diagnostics
  private final List<ConfigProblem> problems;

  public ConfigException(List<ConfigProblem> problems) {
    super(problems.isEmpty() ? "invalid config" : problems.get(0).toString());
    this.problems = List.copyOf(problems);
  }

  public ConfigException(String field, String message) {
    this(List.of(new ConfigProblem(field, message)));
  }

  public List<ConfigProblem> problems() {
    return problems;
  }
}
