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
  public Processor create(String processorName, JsonNode config, ModuleContext context)
      throws ConfigException {
    UsageMeteringConfig c = ModuleConfigs.bind(config, UsageMeteringConfig.class);
    return new UsageMeteringProcessor(c, TokenCounters.in(context.metrics()));
  }
}
