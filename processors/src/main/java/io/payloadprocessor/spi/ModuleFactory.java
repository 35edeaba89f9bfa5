package io.payloadprocessor.spi;

import com.fasterxml.jackson.databind.JsonNode;

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
   * Validates the config and builds the processor. Throws with every problem found, each naming its
   * field path inside {@code config}.
   */
  Processor create(String processorName, JsonNode config, ModuleContext context)
      throws ConfigException;
}
