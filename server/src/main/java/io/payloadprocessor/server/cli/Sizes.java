package io.payloadprocessor.server.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Byte sizes on the command line: {@code 2097152}, {@code 2MiB}, {@code 512KiB}, {@code 1GiB}. */
public final class Sizes implements ITypeConverter<Long> {
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(|b|kib|kb|k|mib|mb|m|gib|gb|g)");

  @Override
  public Long convert(String value) {
    Matcher m = SIZE.matcher(value.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new TypeConversionException(
          "'" + value + "' is not a size (e.g. 2097152, 512KiB, 2MiB)");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "kib", "kb", "k" -> n << 10;
      case "mib", "mb", "m" -> n << 20;
      case "gib", "gb", "g" -> n << 30;
      default -> n;
    };
  }
}
