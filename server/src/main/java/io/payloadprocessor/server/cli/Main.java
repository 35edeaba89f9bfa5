package io.payloadprocessor.server.cli;

import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar payload-processor.jar [serve|validate|conformance|batch|load] ...}. */
@Command(
    name = "payload-processor",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Envoy ext_proc sidecar running GEP-5091 PayloadProcessor pipelines.",
      "Without a command, `serve` runs."
    },
    subcommands = {
      ServeCommand.class,
      ValidateCommand.class,
      ConformanceCommand.class,
      BatchCommand.class,
      io.payloadprocessor.bench.LoadCommand.class
    })
public final class Main implements Runnable {
  private static final Set<String> TOP_LEVEL = Set.of("-h", "--help", "-V", "--version");

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the CLI and returns the exit code (for tests). */
  public static int run(String... args) {
    String[] effective = args;
    if (args.length == 0 || (args[0].startsWith("-") && !TOP_LEVEL.contains(args[0]))) {
      effective = new String[args.length + 1];
      effective[0] = "serve";
      System.arraycopy(args, 0, effective, 1, args.length);
    }
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(Main::reportFailure);
    return cli.execute(effective);
  }

  /**
   * A command that fails with an exception prints one line saying what went wrong, not a stack
   * trace; with {@code PAYLOAD_PROCESSOR_STACKTRACE=1} in the environment the trace follows.
   */
  private static int reportFailure(
      Exception e, CommandLine cmd, CommandLine.ParseResult parseResult) {
    String what = e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    cmd.getErr().println("payload-processor " + cmd.getCommandName() + ": error: " + what);
    if ("1".equals(System.getenv("PAYLOAD_PROCESSOR_STACKTRACE"))) {
      e.printStackTrace(cmd.getErr());
    }
    cmd.getErr().flush();
    return 1;
  }

  @Override
  public void run() {
    // Only reached with no subcommand, which main() turns into `serve`.
  }

  /** Version from the jar manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"payload-processor " + (v == null ? "dev" : v)};
    }
  }
}
