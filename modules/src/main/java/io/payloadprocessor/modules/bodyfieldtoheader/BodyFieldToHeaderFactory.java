package io.payloadprocessor.modules.bodyfieldtoheader;

import io.payloadprocessor.modules.ModuleChecks;
import io.payloadprocessor.modules.TypedModuleFactory;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.Processor;
import java.util.List;
import java.util.Map;

/** Module {@code body-field-to-header}: see {@link BodyFieldToHeaderConfig}. */
public final class BodyFieldToHeaderFactory extends TypedModuleFactory<BodyFieldToHeaderConfig> {
  public static final String ID = "body-field-to-header";

  public BodyFieldToHeaderFactory() {
    super(ID, BodyFieldToHeaderConfig.class);
  }

  @Override
  protected Processor build(
      String processorName,
      BodyFieldToHeaderConfig c,
      ModuleContext context,
      List<ConfigProblem> problems)
      throws ConfigException {
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
    throwIfAny(problems);
    return new BodyFieldToHeaderProcessor(c);
  }
}
