package io.payloadprocessor.modules.usagemetering;

import io.payloadprocessor.modules.TypedModuleFactory;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.Processor;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** Module {@code usage-metering}: see {@link UsageMeteringProcessor}. */
public final class UsageMeteringFactory extends TypedModuleFactory<UsageMeteringConfig> {
  public static final String ID = "usage-metering";

  public UsageMeteringFactory() {
    super(ID, UsageMeteringConfig.class);
  }

  @Override
  protected Processor build(
      String processorName,
      UsageMeteringConfig c,
      ModuleContext context,
      List<ConfigProblem> problems)
      throws ConfigException {
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
    throwIfAny(problems);
    return new UsageMeteringProcessor(
        c.injectStreamUsage(), new TokenCounters(context.metrics(), List.copyOf(models)));
  }
}
