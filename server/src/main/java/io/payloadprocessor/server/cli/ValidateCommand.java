package io.payloadprocessor.server.cli;

import io.payloadprocessor.server.config.ConfigError;
import io.payloadprocessor.server.config.LoadResult;
import io.payloadprocessor.server.config.PipelineLoader;
import io.payloadprocessor.server.config.ProcessorBuilders;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code payload-processor validate PATH}: checks PayloadProcessor documents exactly as the server
 * would load them (CEL compiled, JSONPaths parsed, module configs validated), without starting
 * anything or connecting to ExtProcess backends.
 */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Check PayloadProcessor documents as the server would load them, without serving.",
      "",
      "Reads one YAML file (several documents may be separated by ---) or every *.yaml/*.yml"
          + " file of a directory, in file-name order. Checks the CRD schema (fields, enums,"
          + " name formats, 1-16 processors, header names, timeouts >= 10ms, PreRouting only on"
          + " Gateway/ListenerSet targets) and what only the server can check: CEL that"
          + " compiles, JSONPaths that parse, module configs. Unknown fields are errors.",
      "",
      "Prints every error on its own line as FILE:LINE: document N (NAME): FIELD: PROBLEM,"
          + " then warnings, then on success: OK: N documents, M processors. Errors and"
          + " warnings go to standard error, the OK line to standard output.",
      "",
      "Two documents with the same phase and targetRef: the older (creationTimestamp, then"
          + " load order) applies and the other is ignored, as GEP-5091 resolves such a"
          + " conflict in a cluster. validate prints a warning naming both and counts the"
          + " ignored one on the OK line; with --strict that is an error (exit 1)."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the configuration is valid",
      "1:the configuration is invalid (errors printed), or has warnings under --strict",
      "2:PATH cannot be read (missing, unreadable, or a directory without YAML files)"
    })
public final class ValidateCommand implements Callable<Integer> {
  /** Exit code: valid. */
  public static final int VALID = 0;

  /** Exit code: invalid. */
  public static final int INVALID = 1;

  /** Exit code: cannot read. */
  public static final int UNREADABLE = 2;

  @Parameters(
      index = "0",
      paramLabel = "PATH",
      description = "A PayloadProcessor YAML file, or a directory of *.yaml/*.yml files.")
  Path path;

  @Option(
      names = "--module-option",
      paramLabel = "KEY=VALUE",
      description =
          "A server-level module setting, as given to 'serve' (e.g. redis.url=redis://host:6379)."
              + " Repeatable. Modules may need these to validate their config.")
  Map<String, String> moduleOptions = new LinkedHashMap<>();

  @Option(
      names = "--strict",
      description =
          "Treat warnings (e.g. a document ignored for an older one with the same phase and"
              + " targetRef) as errors.")
  boolean strict;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.exists(path)) {
      err.println(path + ": cannot read: no such file or directory");
      err.flush();
      return UNREADABLE;
    }
    if (!Files.isReadable(path)) {
      err.println(path + ": cannot read: permission denied");
      err.flush();
      return UNREADABLE;
    }
    PipelineLoader loader =
        new PipelineLoader(
            ProcessorBuilders.validationOnly(), new PrometheusRegistry(), moduleOptions);
    LoadResult result = loader.load(path);
    for (ConfigError e : result.errors()) {
      err.println(e);
    }
    for (String w : result.warnings()) {
      err.println("warning: " + w);
    }
    try {
      if (result.unreadable()) {
        return UNREADABLE;
      }
      if (!result.ok()) {
        err.println("INVALID: " + result.errors().size() + " error(s)");
        return INVALID;
      }
      if (strict && !result.warnings().isEmpty()) {
        err.println(
            "INVALID (--strict): " + result.warnings().size() + " warning(s) treated as errors");
        result.pipeline().close();
        return INVALID;
      }
      out.println(
          "OK: "
              + result.documents()
              + " documents"
              + (result.ignoredDocuments() > 0
                  ? " in force, "
                      + result.ignoredDocuments()
                      + " ignored (same phase and targetRef as an older document; see the"
                      + " warnings)"
                  : "")
              + ", "
              + result.processors()
              + " processors");
      result.pipeline().close();
      return VALID;
    } finally {
      out.flush();
      err.flush();
    }
  }
}
