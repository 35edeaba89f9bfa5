package io.payloadprocessor.server.cli;

import ch.qos.logback.classic.Level;
import io.payloadprocessor.server.Logging;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --log-level}: TRACE, DEBUG, INFO, WARN, ERROR or OFF, any case; anything else refused. */
public final class LogLevels implements ITypeConverter<Level> {
  @Override
  public Level convert(String value) {
    try {
      return Logging.parseLevel(value);
    } catch (IllegalArgumentException e) {
      throw new TypeConversionException(e.getMessage());
    }
  }
}
