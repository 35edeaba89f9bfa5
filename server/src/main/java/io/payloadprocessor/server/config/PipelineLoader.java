package io.payloadprocessor.server.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.config.ConfigReader;
import io.payloadprocessor.server.config.DocumentReader.ParsedDocument;
import io.payloadprocessor.server.config.DocumentReader.ParsedProcessor;
import io.payloadprocessor.server.pipeline.Pipeline;
import io.payloadprocessor.server.pipeline.Step;
import io.payloadprocessor.spi.ConfigProblem;
import io.payloadprocessor.spi.ModuleFactory;
import io.payloadprocessor.spi.Processor;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads GEP-5091 PayloadProcessor documents (YAML, as users write them for Kubernetes) and builds
 * the {@link Pipeline}.
 *
 * <p>Sources: one file, or a directory whose {@code *.yaml}/{@code *.yml} files (not hidden, not in
 * subdirectories; symlinks followed, as in a mounted ConfigMap) are read in file-name order; a file
 * may hold several documents separated by {@code ---}.
 *
 * <p>Validation collects every error, each naming file, document (1-based index and {@code
 * metadata.name}), field path and problem; see {@link ConfigError}.
 *
 * <p>Order of the steps: PreRouting documents before PostRouting ones; within a phase, documents
 * targeting a Gateway/ListenerSet before route-targeted ones; then documents with {@code
 * metadata.creationTimestamp} (oldest first) before those without; then load order (file name, then
 * position in the file). Processors keep their order within a document. When two documents have the
 * same phase and the same targetRef, the first by that order wins and the other is ignored with a
 * warning (GEP-5091: the newer one is ignored).
 */
public final class PipelineLoader {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineLoader.class);

  private final ProcessorBuilders builders;
  private final Map<String, ModuleFactory> modules;
  private final PrometheusRegistry metrics;
  private final Map<String, String> moduleOptions;
  private final boolean checkOptionKeys;

  /** A loader whose modules are found with {@link ServiceLoader}. */
  public PipelineLoader(
      ProcessorBuilders builders, PrometheusRegistry metrics, Map<String, String> moduleOptions) {
    this(builders, discoverModules(), metrics, moduleOptions, true);
  }

  /**
   * A loader with exactly these modules (tests, embedding). Module option keys are not checked:
   * options may be meant for modules left out.
   */
  public PipelineLoader(
      ProcessorBuilders builders,
      List<ModuleFactory> modules,
      PrometheusRegistry metrics,
      Map<String, String> moduleOptions) {
    this(builders, modules, metrics, moduleOptions, false);
  }

  private PipelineLoader(
      ProcessorBuilders builders,
      List<ModuleFactory> modules,
      PrometheusRegistry metrics,
      Map<String, String> moduleOptions,
      boolean checkOptionKeys) {
    this.builders = builders;
    this.checkOptionKeys = checkOptionKeys;
    Map<String, ModuleFactory> byId = new LinkedHashMap<>();
    for (ModuleFactory f : modules) {
      if (byId.putIfAbsent(f.id(), f) != null) {
        LOG.warn(
            "module id '{}' is provided by both {} and {}; using the first",
            f.id(),
            byId.get(f.id()).getClass().getName(),
            f.getClass().getName());
      }
    }
    this.modules = Collections.unmodifiableMap(byId);
    this.metrics = metrics;
    this.moduleOptions = Map.copyOf(moduleOptions);
  }

  /** Every {@link ModuleFactory} on the class path. */
  public static List<ModuleFactory> discoverModules() {
    List<ModuleFactory> found = new ArrayList<>();
    ServiceLoader.load(ModuleFactory.class).forEach(found::add);
    return found;
  }

  /** The module ids this loader knows. */
  public List<String> moduleIds() {
    return List.copyOf(modules.keySet());
  }

  /** Loads a file or a directory of files. */
  public LoadResult load(Path fileOrDir) {
    Session session = new Session();
    List<Path> files = new ArrayList<>();
    if (Files.isDirectory(fileOrDir)) {
      try {
        files.addAll(yamlFiles(fileOrDir));
      } catch (IOException e) {
        session.unreadable(fileOrDir.toString(), "cannot list directory: " + e.getMessage());
        return session.result();
      }
      if (files.isEmpty()) {
        session.unreadable(
            fileOrDir.toString(), "no *.yaml or *.yml files with PayloadProcessor documents");
        return session.result();
      }
    } else if (Files.exists(fileOrDir)) {
      files.add(fileOrDir);
    } else {
      session.unreadable(fileOrDir.toString(), "cannot read: no such file or directory");
      return session.result();
    }
    for (Path file : files) {
      String source = file.toString();
      List<YamlDocuments.Document> docs;
      try {
        docs = YamlDocuments.parse(Files.readString(file, StandardCharsets.UTF_8));
      } catch (YamlDocuments.YamlError e) {
        session.errors.add(
            new ConfigError(
                source, e.line, e.document, null, "", "YAML syntax error: " + e.getMessage()));
        continue;
      } catch (CharacterCodingException e) {
        session.errors.add(new ConfigError(source, 0, null, "", "not UTF-8 text"));
        continue;
      } catch (IOException e) {
        session.unreadable(source, "cannot read: " + e.getMessage());
        continue;
      }
      Path dir = file.toAbsolutePath().getParent();
      session.addDocuments(source, dir, docs);
    }
    if (session.documents.isEmpty() && session.errors.isEmpty()) {
      session.errors.add(
          new ConfigError(
              fileOrDir.toString(), 0, null, "", "no PayloadProcessor documents found"));
    }
    return session.result();
  }

  /**
   * Loads documents that were already parsed (e.g. a conformance case's {@code pipeline:} list).
   * Module file paths resolve against the directory of {@code sourceName} when it names a file,
   * else the working directory. An empty list gives an empty pipeline.
   */
  public LoadResult loadDocuments(String sourceName, List<JsonNode> docs) {
    Path dir;
    try {
      Path parent = Path.of(sourceName).toAbsolutePath().getParent();
      dir = parent != null ? parent : Path.of("").toAbsolutePath();
    } catch (InvalidPathException e) {
      dir = Path.of("").toAbsolutePath();
    }
    return loadDocuments(sourceName, dir, docs);
  }

  /** As {@link #loadDocuments(String, List)} with an explicit config directory. */
  public LoadResult loadDocuments(String sourceName, Path configDir, List<JsonNode> docs) {
    Session session = new Session();
    List<YamlDocuments.Document> withoutLines = new ArrayList<>();
    docs.forEach(d -> withoutLines.add(new YamlDocuments.Document(d, Map.of())));
    session.addDocuments(sourceName, configDir, withoutLines);
    return session.result();
  }

  /**
   * Parses YAML text (one or more documents; anchors, aliases and merge keys resolved) as {@link
   * #loadDocuments} expects them.
   */
  public static List<JsonNode> parseYaml(String yaml) throws IOException {
    try {
      List<JsonNode> docs = new ArrayList<>();
      YamlDocuments.parse(yaml).forEach(d -> docs.add(d.tree()));
      return docs;
    } catch (YamlDocuments.YamlError e) {
      throw new IOException(
          "YAML syntax error" + (e.line > 0 ? " at line " + e.line : "") + ": " + e.getMessage(),
          e);
    }
  }

  /** The YAML files of a directory in load order. */
  public static List<Path> yamlFiles(Path dir) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      for (Path p : stream) {
        String name = p.getFileName().toString();
        String lower = name.toLowerCase(Locale.ROOT);
        // Hidden entries include a ConfigMap's ..data and ..<timestamp> bookkeeping.
        if (!name.startsWith(".")
            && (lower.endsWith(".yaml") || lower.endsWith(".yml"))
            && Files.isRegularFile(p)) {
          files.add(p);
        }
      }
    }
    files.sort(Comparator.comparing(p -> p.getFileName().toString()));
    return files;
  }

  private static boolean isList(JsonNode doc) {
    return doc != null && doc.isObject() && "List".equals(doc.path("kind").asText(null));
  }

  /** One load: documents read so far, errors, warnings. */
  private final class Session {
    final List<ParsedDocument> documents = new ArrayList<>();
    final List<ConfigError> errors = new ArrayList<>();
    final List<String> warnings = new ArrayList<>();
    boolean unreadable;
    long loadOrder;

    Session() {
      if (!checkOptionKeys) {
        return;
      }
      Set<String> known = new TreeSet<>();
      modules.values().forEach(f -> known.addAll(f.optionKeys()));
      for (String key : moduleOptions.keySet()) {
        if (!known.contains(key)) {
          errors.add(
              new ConfigError(
                  "--module-option",
                  0,
                  null,
                  key,
                  "unknown option; known: "
                      + (known.isEmpty() ? "(none)" : String.join(", ", known))));
        }
      }
    }

    void unreadable(String source, String message) {
      unreadable = true;
      errors.add(new ConfigError(source, 0, null, "", message));
    }

    void addDocuments(String source, Path configDir, List<YamlDocuments.Document> docs) {
      DefaultModuleContext context = new DefaultModuleContext(configDir, metrics, moduleOptions);
      DocumentReader reader = new DocumentReader(builders, modules);
      for (int i = 0; i < docs.size(); i++) {
        YamlDocuments.Document d = docs.get(i);
        JsonNode doc = d.tree();
        if (isList(doc)) {
          // `kubectl get payloadprocessors -o yaml` prints one List; its items are the documents.
          JsonNode items = doc.get("items");
          if (items == null || !items.isArray()) {
            errors.add(
                new ConfigError(
                    source, d.lineOf("items"), i + 1, null, "items", "a List needs an items list"));
            continue;
          }
          for (int k = 0; k < items.size(); k++) {
            addDocument(source, d, i + 1, "items[" + k + "]", items.get(k), reader, context);
          }
        } else {
          addDocument(source, d, i + 1, "", doc, reader, context);
        }
      }
    }

    private void addDocument(
        String source,
        YamlDocuments.Document d,
        int index,
        String prefix,
        JsonNode doc,
        DocumentReader reader,
        DefaultModuleContext context) {
      ConfigReader problems = new ConfigReader();
      ParsedDocument parsed = reader.read(problems, doc, source, index, loadOrder++, context);
      String name = doc == null ? null : doc.path("metadata").path("name").asText(null);
      for (ConfigProblem p : problems.problems()) {
        String field =
            prefix.isEmpty() ? p.field() : p.field().isEmpty() ? prefix : prefix + "." + p.field();
        errors.add(new ConfigError(source, d.lineOf(field), index, name, field, p.message()));
      }
      if (parsed != null) {
        documents.add(parsed);
      }
    }

    LoadResult result() {
      if (!errors.isEmpty()) {
        documents.forEach(d -> DocumentReader.closeAll(d.processors()));
        return new LoadResult(null, errors, warnings, 0, 0, unreadable);
      }
      List<ParsedDocument> ordered = new ArrayList<>(documents);
      ordered.sort(ORDER);
      Map<String, ParsedDocument> winners = new HashMap<>();
      List<Step> steps = new ArrayList<>();
      List<AutoCloseable> resources = new ArrayList<>();
      int inForce = 0;
      int ignored = 0;
      for (ParsedDocument d : ordered) {
        String key = d.stage() + "|" + d.target().key();
        ParsedDocument winner = winners.putIfAbsent(key, d);
        if (winner != null) {
          warnings.add(
              where(d)
                  + ": ignored: "
                  + winner.stage().yamlName()
                  + " "
                  + d.target()
                  + " is already handled by "
                  + where(winner)
                  + ", which is older (GEP-5091: the newer of two PayloadProcessors with the"
                  + " same phase and targetRef is ignored)");
          DocumentReader.closeAll(d.processors());
          ignored++;
          continue;
        }
        inForce++;
        for (ParsedProcessor p : d.processors()) {
          steps.add(
              new Step(
                  p.name(),
                  d.label(),
                  d.stage(),
                  d.target(),
                  p.failureMode(),
                  p.timeout(),
                  p.type(),
                  p.processor(),
                  p.optional()));
          Processor proc = p.processor();
          if (proc instanceof AutoCloseable autoCloseable) {
            resources.add(autoCloseable);
          }
        }
      }
      return new LoadResult(
          new Pipeline(steps, resources),
          errors,
          warnings,
          inForce,
          steps.size(),
          unreadable,
          ignored);
    }
  }

  private static String where(ParsedDocument d) {
    return d.file() + ": document " + d.index() + " (" + d.name() + ")";
  }

  /** Phase, then gateway-level first, then creation timestamp (present first), then load order. */
  static final Comparator<ParsedDocument> ORDER =
      Comparator.comparing(ParsedDocument::stage)
          .thenComparing(d -> d.target().isGatewayLevel() ? 0 : 1)
          .thenComparing(
              ParsedDocument::creationTimestamp, Comparator.nullsLast(Comparator.naturalOrder()))
          .thenComparingLong(ParsedDocument::loadOrder);
}
