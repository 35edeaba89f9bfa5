package io.payloadprocessor.server.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.payloadprocessor.conformance.ConformanceCase;
import io.payloadprocessor.conformance.ConformanceRunner;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.Logging;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code payload-processor conformance PATH...}: runs conformance cases (format v1). */
@Command(
    name = "conformance",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Run conformance cases (format v1) and print PASS/FAIL/SKIP per case, then a summary line"
          + " `conformance: N passed, M failed, K skipped`.",
      "",
      "Each case runs against a fresh server started with the case's pipeline (and backends) on"
          + " ephemeral loopback ports, driven by an Envoy-faithful ext_proc client. With"
          + " --target, cases run against an already running server instead; cases with backends"
          + " or config-rejection checks are skipped there. A case with a field the format does"
          + " not define fails.",
      "",
      "Cases whose modules use a Redis store get a throw-away redis-server (from the PATH) on a"
          + " free loopback port, passed to them as the server option redis.url."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:no case failed", "1:at least one case failed", "2:bad arguments"})
public final class ConformanceCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Parameters(paramLabel = "PATH", arity = "1..*", description = "Case files or directories.")
  List<Path> paths = new ArrayList<>();

  @Option(
      names = "--target",
      paramLabel = "HOST:PORT",
      description = "Run against this already running ext_proc server.")
  String target;

  @Option(
      names = "--report",
      paramLabel = "FILE",
      description = "Write a JSON report: per case name, tier, result, duration.")
  Path report;

  @Option(
      names = "--log-level",
      converter = LogLevels.class,
      paramLabel = "LEVEL",
      description = "Server log level: TRACE, DEBUG, INFO, WARN, ERROR or OFF (default: ERROR).")
  ch.qos.logback.classic.Level logLevel = ch.qos.logback.classic.Level.ERROR;

  @Override
  public Integer call() throws Exception {
    Logging.configure(false, logLevel, null, true);
    PrintWriter out = spec.commandLine().getOut();
    List<Path> files;
    try {
      files = ConformanceRunner.discover(paths);
    } catch (java.io.IOException e) {
      spec.commandLine().getErr().println(e.getMessage());
      return 2;
    }
    ConformanceRunner runner = new ConformanceRunner(target);
    List<ConformanceRunner.Result> results = new ArrayList<>();
    for (Path f : files) {
      for (Object o : ConformanceRunner.load(f)) {
        ConformanceRunner.Result r =
            o instanceof ConformanceCase c ? runner.run(c) : (ConformanceRunner.Result) o;
        results.add(r);
        out.println(r.line());
        out.flush();
      }
    }
    long passed =
        results.stream().filter(r -> r.verdict() == ConformanceRunner.Verdict.PASS).count();
    long failed =
        results.stream().filter(r -> r.verdict() == ConformanceRunner.Verdict.FAIL).count();
    long skipped = results.size() - passed - failed;
    out.println(
        "conformance: " + passed + " passed, " + failed + " failed, " + skipped + " skipped");
    out.flush();
    if (report != null) {
      ObjectNode root = HttpMessage.JSON.createObjectNode();
      root.put("passed", passed).put("failed", failed).put("skipped", skipped);
      ArrayNode cases = root.putArray("cases");
      for (ConformanceRunner.Result r : results) {
        ObjectNode n = cases.addObject();
        n.put("name", r.name());
        n.put("tier", r.tier());
        n.put("file", String.valueOf(r.file()));
        n.put("result", r.verdict().name());
        n.put("durationMillis", r.millis());
        if (!r.reason().isEmpty()) {
          n.put("reason", r.reason());
        }
      }
      Files.write(
          report, HttpMessage.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
    }
    return failed == 0 ? 0 : 1;
  }
}
