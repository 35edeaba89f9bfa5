package io.payloadprocessor.server.extprocess;

import io.payloadprocessor.server.config.BackendRef;
import io.payloadprocessor.server.config.ProcessorBuilders;
import io.payloadprocessor.spi.Processor;
import java.time.Duration;

/** Builds ExtProcess processors on pooled channels to resolved backends. */
public final class ExtProcessBuilders implements ProcessorBuilders {
  private final BackendChannels channels;

  public ExtProcessBuilders(BackendChannels channels) {
    this.channels = channels;
  }

  @Override
  public Processor extProcess(String processorName, BackendRef ref, Duration timeout) {
    String target = channels.resolve(ref.name(), ref.namespace(), ref.port());
    return new ExtProcessProcessor(target, channels.channel(target));
  }
}
