package io.payloadprocessor.modules.bodyfieldtoheader;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.config.ModuleConfigs;
import io.payloadprocessor.modules.ModuleChecks;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.ModuleFactory;
import io.payloadprocessor.spi.Processor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Module {@code body-field-to-header}: see {@link BodyFieldToHeaderConfig}. */
public final class BodyFieldToHeaderFactory implements ModuleFactory {
  public static final String ID = "body-field-to-header";

  @Override
  public String id() {
    return ID;
  }

  @Override
  public Processor create(String processorName, JsonNode config, ModuleContext context)
      throws ConfigException {
    BodyFieldToHeaderConfig c = ModuleConfigs.bind(config, BodyFieldToHeaderConfig.class);
    List<ConfigProblem> problems = new ArrayList<>();
    try {
      JsonFieldPath.parse(c.field());
    } catch (IllegalArgumentException e) {
      problems.add(new ConfigProblem("field", e.getMessage()));
    }
    ModuleChecks.checkHeaderName("header", c.header(), problems);
    ModuleChecks.checkHeaderName("baseModelHeader", c.baseModelHeader(), problems);
    for (Map.Entry<String, String> e : c.loraAdapters().entrySet()) {
      if (e.getKey().isEmpty() || e.getValue() == null || e.getValue().isEmpty()) {
        problems.add(
            new ConfigProblem(
                "loraAdapters." + e.getKey(), "adapter and base model names must be non-empty"));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new BodyFieldToHeaderProcessor(c);
  }
}
