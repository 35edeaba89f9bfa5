package io.payloadprocessor.server.config;

import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.time.Duration;

/**
 * Builds the processors {@link PipelineLoader} cannot build itself. The server supplies the real
 * ExtProcess client; {@link #validationOnly()} is for validating configs without connecting.
 */
public interface ProcessorBuilders {

  /**
   * An ExtProcess processor talking to {@code ref}. Called once per processor per (re)load; if the
   * returned processor is {@link AutoCloseable} it is closed when its pipeline is retired.
   *
   * @throws ConfigException when the reference cannot be used (field paths relative to {@code
   *     extProcess}, e.g. {@code backendRef.name})
   */
  Processor extProcess(String processorName, BackendRef ref, Duration timeout)
      throws ConfigException;

  /**
   * Builders that connect to nothing: ExtProcess processors fail every exchange with an
   * IllegalStateException. For {@code validate} and tests.
   */
  static ProcessorBuilders validationOnly() {
    return (name, ref, timeout) ->
        new Processor() {
          @Override
          public Outcome onRequest(Exchange exchange) {
            throw new IllegalStateException(
                "ExtProcess processor '" + name + "' (" + ref + ") is not connected");
          }

          @Override
          public String toString() {
            return "ExtProcess[" + name + " -> " + ref + ", unconnected]";
          }
        };
  }
}
