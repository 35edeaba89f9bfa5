package io.payloadprocessor.modules;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.config.ModuleConfigs;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.ModuleFactory;
import io.payloadprocessor.spi.Processor;
import java.util.ArrayList;
import java.util.List;

/**
 * The part every built-in module factory shares: its id, binding {@code config} to the module's
 * config class {@code C} (unknown fields are errors), collecting every problem the module finds and
 * throwing them together. A module only validates its bound config and builds its processor.
 *
 * @param <C> the module's config class, bound with {@link ModuleConfigs#bind}
 */
public abstract class TypedModuleFactory<C> implements ModuleFactory {
  private final String id;
  private final Class<C> configType;

  protected TypedModuleFactory(String id, Class<C> configType) {
    this.id = id;
    this.configType = configType;
  }

  @Override
  public final String id() {
    return id;
  }

  @Override
  public final Processor create(String processorName, JsonNode config, ModuleContext context)
      throws ConfigException {
    C bound = ModuleConfigs.bind(config, configType);
    List<ConfigProblem> problems = new ArrayList<>();
    Processor processor = build(processorName, bound, context, problems);
    if (!problems.isEmpty()) {
      // A problem added after throwIfAny: the processor is not handed out.
      if (processor instanceof AutoCloseable closeable) {
        try {
          closeable.close();
        } catch (Exception e) {
          problems.add(new ConfigProblem("", "could not release the processor: " + e));
        }
      }
      throw new ConfigException(problems);
    }
    return processor;
  }

  /**
   * Validates {@code config}, adding every problem found to {@code problems} (each naming its field
   * path inside {@code config}), and builds the processor. Call {@link #throwIfAny} before building
   * anything that opens a resource (a store connection, a model).
   */
  protected abstract Processor build(
      String processorName, C config, ModuleContext context, List<ConfigProblem> problems)
      throws ConfigException;

  /** Throws every problem collected so far, if there is one. */
  protected static void throwIfAny(List<ConfigProblem> problems) throws ConfigException {
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
  }
}
