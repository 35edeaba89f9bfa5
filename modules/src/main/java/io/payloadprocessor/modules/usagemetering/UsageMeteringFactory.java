package io.payloadprocessor.modules.usagemetering;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.config.ModuleConfigs;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.ModuleFactory;
import io.payloadprocessor.spi.Processor;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Module {@code usage-metering}: see {@link UsageMeteringProcessor}. */
public final class UsageMeteringFactory implements ModuleFactory {
  public static final String ID = "usage-metering";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public Processor create(String processorName, JsonNode config, ModuleContext context)
      throws ConfigException {
    UsageMeteringConfig c = ModuleConfigs.bind(config, UsageMeteringConfig.class);
    List<ConfigProblem> problems = new ArrayList<>();
    List<String> names = c.metricModels();
    if (names.size() > UsageMeteringConfig.MAX_METRIC_MODELS) {
      problems.add(
          new ConfigProblem(
              "metricModels",
              "lists "
                  + names.size()
                  + " models; at most "
                  + UsageMeteringConfig.MAX_METRIC_MODELS
                  + " keep the metric small"));
    }
    Set<String> models = new LinkedHashSet<>();
    for (int i = 0; i < names.size(); i++) {
      String name = names.get(i);
      String field = "metricModels[" + i + "]";
      if (name == null || name.isEmpty() || name.length() > TokenUsage.MAX_MODEL_CHARS) {
        problems.add(
            new ConfigProblem(
                field,
                "must be a model name of 1 to " + TokenUsage.MAX_MODEL_CHARS + " characters"));
      } else if (name.equals(TokenCounters.OTHER_MODEL)
          || name.equals(TokenCounters.UNKNOWN_MODEL)) {
        problems.add(new ConfigProblem(field, "'" + name + "' is reserved as a label value"));
      } else if (name.indexOf('*') >= 0 && name.indexOf('*') != name.length() - 1) {
        problems.add(new ConfigProblem(field, "'*' may only end a name (a prefix), as in gpt-4o*"));
      } else if (!models.add(name)) {
        problems.add(new ConfigProblem(field, "'" + name + "' is listed twice"));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new UsageMeteringProcessor(
        c.injectStreamUsage(), new TokenCounters(context.metrics(), List.copyOf(models)));
  }
}
