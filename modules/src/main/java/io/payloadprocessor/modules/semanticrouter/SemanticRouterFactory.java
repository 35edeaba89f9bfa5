package io.payloadprocessor.modules.semanticrouter;

import io.payloadprocessor.modules.ModuleChecks;
import io.payloadprocessor.modules.TypedModuleFactory;
import io.payloadprocessor.modules.common.MiniLmEmbeddings;
import io.payloadprocessor.spi.ConfigException;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleContext;
import io.payloadprocessor.spi.Processor;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Module {@code semantic-router}: see {@link SemanticRouterConfig}. */
public final class SemanticRouterFactory extends TypedModuleFactory<SemanticRouterConfig> {
  public static final String ID = "semantic-router";

  public SemanticRouterFactory() {
    super(ID, SemanticRouterConfig.class);
  }

  @Override
  public java.util.Set<String> optionKeys() {
    return java.util.Set.of(MiniLmEmbeddings.THREADS_OPTION, MiniLmEmbeddings.CACHE_ENTRIES_OPTION);
  }

  @Override
  protected Processor build(
      String processorName,
      SemanticRouterConfig c,
      ModuleContext context,
      List<ConfigProblem> problems)
      throws ConfigException {
    if (c.routes().isEmpty()) {
      problems.add(new ConfigProblem("routes", "at least one route is required"));
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < c.routes().size(); i++) {
      SemanticRouterConfig.Route r = c.routes().get(i);
      String at = "routes[" + i + "]";
      if (r.name() == null || !ModuleChecks.isHeaderValue(r.name()) || r.name().isEmpty()) {
        problems.add(new ConfigProblem(at + ".name", "a non-empty header-safe name is required"));
      } else if (!names.add(r.name())) {
        problems.add(new ConfigProblem(at + ".name", "duplicate route name '" + r.name() + "'"));
      }
      if (r.examples().isEmpty()) {
        problems.add(new ConfigProblem(at + ".examples", "at least one example is required"));
      }
      for (int j = 0; j < r.examples().size(); j++) {
        String e = r.examples().get(j);
        if (e == null || e.isBlank()) {
          problems.add(new ConfigProblem(at + ".examples[" + j + "]", "must not be blank"));
        }
      }
      checkTarget(at + ".target", r.target(), problems);
    }
    String def = c.defaultRoute().name();
    if (def.isEmpty() || !ModuleChecks.isHeaderValue(def)) {
      problems.add(
          new ConfigProblem("defaultRoute.name", "a non-empty header-safe name is required"));
    } else if (names.contains(def)) {
      problems.add(
          new ConfigProblem("defaultRoute.name", "'" + def + "' is also the name of a route"));
    }
    checkTarget("defaultRoute.target", c.defaultRoute().target(), problems);
    if (c.threshold().isNaN() || c.threshold() < -1 || c.threshold() > 1) {
      problems.add(new ConfigProblem("threshold", "must be a cosine similarity in [-1, 1]"));
    }
    if (c.maxInputChars() < 1) {
      problems.add(new ConfigProblem("maxInputChars", "must be at least 1"));
    }
    throwIfAny(problems);
    return new SemanticRouterProcessor(c, MiniLmEmbeddings.shared(context));
  }

  private static void checkTarget(
      String at, SemanticRouterConfig.Target t, List<ConfigProblem> problems) {
    for (Map.Entry<String, String> h : t.headers().entrySet()) {
      ModuleChecks.checkHeaderName(at + ".headers", h.getKey(), problems);
      if (!ModuleChecks.isHeaderValue(h.getValue())) {
        problems.add(new ConfigProblem(at + ".headers." + h.getKey(), "not a valid header value"));
      }
    }
    if (t.model() != null && t.model().isBlank()) {
      problems.add(new ConfigProblem(at + ".model", "must not be blank"));
    }
  }
}
