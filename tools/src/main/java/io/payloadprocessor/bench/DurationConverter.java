package io.payloadprocessor.bench;

import io.payloadprocessor.spi.GoDuration;
import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Reads durations the way Envoy, Kubernetes and Go write them ({@code 500ms}, {@code 10s}, {@code
 * 1m30s}: {@link GoDuration}, the sidecar's one parser) or ISO-8601 ({@code PT10S}). picocli has no
 * converter for Go's syntax.
 */
public final class DurationConverter implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    try {
      return GoDuration.parse(value.trim().toLowerCase(Locale.ROOT)); // 10S read as 10s, as before
    } catch (IllegalArgumentException goSyntax) {
      try {
        return Duration.parse(value.trim());
      } catch (RuntimeException e) {
        throw new TypeConversionException(
            "'" + value + "' is not a duration (examples: 500ms, 10s, 2m, PT10S)");
      }
    }
  }
}
