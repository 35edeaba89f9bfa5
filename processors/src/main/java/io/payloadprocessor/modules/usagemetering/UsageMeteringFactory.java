package io.payloadprocessor.modules.usagemetering;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ModuleConfigs;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.ModuleFactory;
import io.payloadprocessor.spi.Processor;

/** Module {@code usage-metering}: see {@link UsageMeteringProcessor}. */
public final class UsageMeteringFactory implements ModuleFactory {
  public static final String ID = "usage-metering";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public java.util.Set<String> optionKeys() {
    return java.util.Set.of(TokenCounters.MODELS_OPTION, TokenCounters.MAX_MODELS_OPTION);
  }

  @Override
  public Processor create(String processorName, JsonNode config, ModuleContext context)
      throws ConfigException {
    UsageMeteringConfig c = ModuleConfigs.bind(config, UsageMeteringConfig.class);
    int max = TokenCounters.DEFAULT_MAX_MODELS;
    String maxOption = context.option(TokenCounters.MAX_MODELS_OPTION).orElse(null);
    if (maxOption != null) {
      try {
        max = Integer.parseInt(maxOption.strip());
      } catch (NumberFormatException e) {
        max = -1;
      }
      if (max < 0 || max > 1000) {
        throw new ConfigException(
            "",
            "--module-option "
                + TokenCounters.MAX_MODELS_OPTION
                + " must be a number 0-1000, got "
                + maxOption);
      }
    }
    java.util.List<String> models = new java.util.ArrayList<>();
    for (String m : context.option(TokenCounters.MODELS_OPTION).orElse("").split(",")) {
      if (!m.isBlank()) {
        models.add(m.strip());
      }
    }
    io.prometheus.metrics.core.metrics.Counter counter = TokenCounters.in(context.metrics());
    TokenCounters.boundModels(counter, models, max);
    return new UsageMeteringProcessor(c, counter);
  }
}
