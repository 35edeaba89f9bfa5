package io.payloadprocessor.modules.credentialinjector;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.benmanes.caffeine.cache.Ticker;
import io.payloadprocessor.config.ModuleConfigs;
import io.payloadprocessor.modules.ModuleChecks;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.ModuleFactory;
import io.payloadprocessor.spi.Processor;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Module {@code credential-injector}: see {@link CredentialInjectorConfig}. Key files are not read
 * here: a Secret mounted later, or missing now, is a per-request 502, not a config error.
 */
public final class CredentialInjectorFactory implements ModuleFactory {
  public static final String ID = "credential-injector";

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)");

  private final Ticker ticker;

  public CredentialInjectorFactory() {
    this(Ticker.systemTicker());
  }

  /** With a ticker, so tests can move time past the refresh interval. */
  CredentialInjectorFactory(Ticker ticker) {
    this.ticker = ticker;
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public Processor create(String processorName, JsonNode config, ModuleContext context)
      throws ConfigException {
    CredentialInjectorConfig c = ModuleConfigs.bind(config, CredentialInjectorConfig.class);
    List<ConfigProblem> problems = new ArrayList<>();
    Duration refresh = parseDuration(c.refreshInterval());
    if (refresh == null) {
      problems.add(
          new ConfigProblem(
              "refreshInterval",
              "must be a duration such as 500ms, 10s or 1m: " + c.refreshInterval()));
    }
    ModuleChecks.checkHeaderName("matchHeader", c.matchHeader(), problems);
    for (int i = 0; i < c.stripHeaders().size(); i++) {
      ModuleChecks.checkHeaderName("stripHeaders[" + i + "]", c.stripHeaders().get(i), problems);
    }
    if (c.entries().isEmpty()) {
      problems.add(new ConfigProblem("entries", "at least one entry is required"));
    }
    Map<String, CredentialInjectorProcessor.Target> byName = new HashMap<>();
    CredentialInjectorProcessor.Target fallback = null;
    for (int i = 0; i < c.entries().size(); i++) {
      CredentialInjectorConfig.Entry e = c.entries().get(i);
      String at = "entries[" + i + "]";
      String label = e.name() == null ? at : "entry '" + e.name() + "'";
      ModuleChecks.checkHeaderName(at + ".header", e.header(), problems);
      if (!ModuleChecks.hasNoControlCharacters(e.prefix())) {
        problems.add(new ConfigProblem(at + ".prefix", "not a valid header value prefix"));
      }
      Path file = null;
      if (e.keyFile() == null || e.keyFile().isBlank()) {
        problems.add(new ConfigProblem(at + ".keyFile", "a key file is required"));
      } else {
        try {
          file = context.configDir().resolve(e.keyFile()).normalize();
        } catch (InvalidPathException ex) {
          problems.add(new ConfigProblem(at + ".keyFile", "not a valid path"));
        }
      }
      if (e.models().isEmpty() && !e.isDefault()) {
        problems.add(new ConfigProblem(at, "give models, or default: true"));
      }
      CredentialInjectorProcessor.Target t =
          new CredentialInjectorProcessor.Target(
              label, file, Headers.normalize(e.header()), e.prefix());
      for (int j = 0; j < e.models().size(); j++) {
        String model = e.models().get(j);
        if (model == null || model.isEmpty()) {
          problems.add(new ConfigProblem(at + ".models[" + j + "]", "must not be empty"));
        } else if (byName.putIfAbsent(model, t) != null) {
          problems.add(
              new ConfigProblem(
                  at + ".models[" + j + "]",
                  "'" + model + "' is already served by an earlier entry"));
        }
      }
      if (e.isDefault()) {
        if (fallback != null) {
          problems.add(new ConfigProblem(at + ".default", "only one entry may be the default"));
        }
        fallback = t;
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(problems);
    }
    return new CredentialInjectorProcessor(
        c.matchBy() == CredentialInjectorConfig.MatchBy.BODY,
        Headers.normalize(c.matchHeader()),
        byName,
        fallback,
        c.stripHeaders(),
        new KeyFileStore(refresh, ticker));
  }

  /** {@code 500ms}, {@code 10s}, {@code 1m}; null if malformed. */
  static Duration parseDuration(String s) {
    Matcher m = DURATION.matcher(s == null ? "" : s.trim());
    if (!m.matches()) {
      return null;
    }
    long n = Long.parseLong(m.group(1));
    switch (m.group(2)) {
      case "ms":
        return Duration.ofMillis(n);
      case "s":
        return Duration.ofSeconds(n);
      default:
        return Duration.ofMinutes(n);
    }
  }
}
