package io.payloadprocessor.spi;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/**
 * Registers a built-in module. Implementations are found with {@link java.util.ServiceLoader} (list
 * the class in {@code META-INF/services/io.payloadprocessor.spi.ModuleFactory}); adding a module
 * never edits the server. In a PayloadProcessor document a module is a processor of type {@code
 * payload-processor.io/Module} with {@code module: {id: ..., config: {...}}}.
 */
public interface ModuleFactory {
  /** What users type as {@code module.id}, e.g. {@code prompt-guard}. */
  String id();

  /**
   * The server-level settings ({@code --module-option KEY=VALUE}) this module reads through {@link
   * ModuleContext#option}. The server refuses keys that no module declares, so a misspelt option is
   * an error rather than silently ignored.
   */
  default Set<String> optionKeys() {
    return Set.of();
  }

  /**
   * Validates the config and builds the processor. Throws with every problem found, each naming its
   * field path inside {@code config}.
   */
  Processor create(String processorName, JsonNode config, ModuleContext context)
      throws ConfigException;
}
