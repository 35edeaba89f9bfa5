package io.payloadprocessor.bench;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code load}: benchmarks an ext_proc server by speaking the protocol the way Envoy does, one bidi
 * stream per simulated HTTP exchange. Exit code 0 if no exchange failed, 1 otherwise, 2 on bad
 * options.
 */
@Command(
    name = "load",
    mixinStandardHelpOptions = true,
    description = {
      "Drives an ext_proc server like Envoy: one gRPC stream per simulated HTTP exchange.",
      "Fixed rate (--rate, open model, latency from the scheduled start) or max rate"
          + " (--concurrency, closed model)."
    })
public final class LoadCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--target",
      defaultValue = "127.0.0.1:9002",
      description = "ext_proc server as HOST:PORT (default: ${DEFAULT-VALUE}).")
  String target;

  @Option(
      names = "--rate",
      defaultValue = "0",
      description = "Exchanges per second (open model). 0 = max rate with --concurrency.")
  double rate;

  @Option(
      names = "--concurrency",
      defaultValue = "16",
      description = "Exchanges in flight at max rate (default: ${DEFAULT-VALUE}).")
  int concurrency;

  @Option(
      names = "--channels",
      defaultValue = "4",
      description = "HTTP/2 connections, used round-robin (default: ${DEFAULT-VALUE}).")
  int channels;

  @Option(
      names = "--duration",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "Measured time, e.g. 30s (default: ${DEFAULT-VALUE}).")
  Duration duration;

  @Option(
      names = "--warmup",
      defaultValue = "2s",
      converter = DurationConverter.class,
      description = "Time before measuring; its results are discarded (default: ${DEFAULT-VALUE}).")
  Duration warmup;

  @Option(
      names = "--body-bytes",
      defaultValue = "1024",
      description = "Size of the generated OpenAI chat request body (default: ${DEFAULT-VALUE}).")
  int bodyBytes;

  @Option(
      names = "--headers-only",
      description = "Send only request_headers with end_of_stream=true (a GET, no bodies).")
  boolean headersOnly;

  @Option(
      names = "--response-body-bytes",
      defaultValue = "512",
      description =
          "Size of the simulated chat completion response body; 0 = response headers only"
              + " (default: ${DEFAULT-VALUE}).")
  int responseBodyBytes;

  @Option(names = "--skip-response", description = "Send nothing of the response direction.")
  boolean skipResponse;

  @Option(
      names = "--exchange-timeout",
      defaultValue = "10s",
      converter = DurationConverter.class,
      description = "Deadline of one exchange (default: ${DEFAULT-VALUE}).")
  Duration exchangeTimeout;

  @Option(
      names = "--max-in-flight",
      defaultValue = "10000",
      description =
          "Fixed rate only: exchanges due while this many are in flight count as 'overload'"
              + " errors (default: ${DEFAULT-VALUE}).")
  int maxInFlight;

  @Option(
      names = "--model",
      defaultValue = "llama-3.1-8b-instruct",
      description = "The model field of generated bodies (default: ${DEFAULT-VALUE}).")
  String model;

  @Option(
      names = "--path",
      defaultValue = "/v1/chat/completions",
      description = ":path of the simulated request (default: ${DEFAULT-VALUE}).")
  String path;

  @Option(names = "--json", description = "Print the report as JSON.")
  boolean json;

  @Option(
      names = "--write-grpc-frame",
      paramLabel = "FILE",
      description =
          "Write the gRPC-framed ProcessingRequests of one exchange to FILE and exit, for h2load"
              + " -d FILE (see test/bench/h2load-extproc.sh): request_headers of a GET with"
              + " end_of_stream=true, or with --frame-body-bytes a POST's request_headers and one"
              + " BUFFERED request_body.")
  Path grpcFrameFile;

  @Option(
      names = "--frame-body-bytes",
      defaultValue = "0",
      description =
          "With --write-grpc-frame: a chat request body of about this size (0: a GET, no body).")
  int frameBodyBytes;

  /** Runs {@code load} on its own, without the server CLI (used by test/bench scripts). */
  public static void main(String[] args) {
    quietLibraryLogs();
    System.exit(new CommandLine(new LoadCommand()).execute(args));
  }

  /**
   * Without a logging config (root at DEBUG), logback logs every HTTP/2 frame of Netty at DEBUG to
   * stdout: that would both corrupt {@code --json} output and become the bottleneck of the
   * measurement.
   */
  static void quietLibraryLogs() {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback
        && logback.getLogger(Logger.ROOT_LOGGER_NAME).isDebugEnabled()) {
      logback.getLogger(Logger.ROOT_LOGGER_NAME).setLevel(Level.WARN);
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    if (grpcFrameFile != null) {
      Files.write(
          grpcFrameFile,
          frameBodyBytes > 0
              ? GrpcFrames.frames(ExchangeMessages.bufferedRequest(path, model, frameBodyBytes))
              : GrpcFrames.frame(ExchangeMessages.headersOnlyRequest(path)));
      out.println("wrote " + grpcFrameFile);
      out.flush();
      return 0;
    }
    LoadReport report = LoadDriver.run(settings());
    out.print(json ? report.toJson() + System.lineSeparator() : report.toText());
    out.flush();
    return report.errors() == 0 ? 0 : 1;
  }

  LoadSettings settings() {
    int colon = target.lastIndexOf(':');
    if (colon <= 0 || colon == target.length() - 1) {
      throw new ParameterException(spec.commandLine(), "--target must be HOST:PORT: " + target);
    }
    int port;
    try {
      port = Integer.parseInt(target.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new ParameterException(spec.commandLine(), "--target port is not a number: " + target);
    }
    if (rate < 0 || concurrency < 1 || channels < 1 || bodyBytes < 0 || responseBodyBytes < 0) {
      throw new ParameterException(
          spec.commandLine(), "--rate must be >= 0; --concurrency and --channels >= 1; sizes >= 0");
    }
    if (duration.isNegative() || duration.isZero() || warmup.isNegative()) {
      throw new ParameterException(spec.commandLine(), "--duration must be > 0, --warmup >= 0");
    }
    String host = target.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    return new LoadSettings(
        host,
        port,
        channels,
        rate,
        concurrency,
        duration,
        warmup,
        bodyBytes,
        headersOnly,
        responseBodyBytes,
        skipResponse,
        exchangeTimeout,
        maxInFlight,
        model,
        path);
  }
}
