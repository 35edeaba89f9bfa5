package io.payloadprocessor.modules.credentialinjector;

import com.github.benmanes.caffeine.cache.Ticker;
import io.payloadprocessor.modules.ModuleChecks;
import io.payloadprocessor.modules.TypedModuleFactory;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.GoDuration;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.Processor;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Module {@code credential-injector}: see {@link CredentialInjectorConfig}. Key files are not read
 * here: a Secret mounted later, or missing now, is a per-request 502, not a config error.
 */
public final class CredentialInjectorFactory extends TypedModuleFactory<CredentialInjectorConfig> {
  public static final String ID = "credential-injector";

  private final Ticker ticker;

  public CredentialInjectorFactory() {
    this(Ticker.systemTicker());
  }

  /** With a ticker, so tests can move time past the refresh interval. */
  CredentialInjectorFactory(Ticker ticker) {
    super(ID, CredentialInjectorConfig.class);
    this.ticker = ticker;
  }

  @Override
  protected Processor build(
      String processorName,
      CredentialInjectorConfig c,
      ModuleContext context,
      List<ConfigProblem> problems)
      throws ConfigException {
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
    throwIfAny(problems);
    return new CredentialInjectorProcessor(
        c.matchBy() == CredentialInjectorConfig.MatchBy.BODY,
        Headers.normalize(c.matchHeader()),
        byName,
        fallback,
        c.stripHeaders(),
        new KeyFileStore(refresh, ticker));
  }

  /** A Go duration ({@code 500ms}, {@code 10s}, {@code 1m}) that is not negative; else null. */
  static Duration parseDuration(String s) {
    try {
      Duration d = GoDuration.parse(s == null ? "" : s);
      return d.isNegative() ? null : d;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
