package io.payloadprocessor.spark;

import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.batch.BatchFiles;
import io.payloadprocessor.server.batch.BatchOptions;
import io.payloadprocessor.server.batch.BatchReport;
import io.payloadprocessor.server.batch.LineReader;
import io.payloadprocessor.server.cli.Durations;
import io.payloadprocessor.server.cli.Sizes;
import io.payloadprocessor.server.config.ConfigError;
import io.payloadprocessor.server.config.LoadResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.NullWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.Job;
import org.apache.hadoop.mapreduce.lib.input.FileInputFormat;
import org.apache.hadoop.mapreduce.lib.output.TextOutputFormat;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import scala.Tuple2;

/**
 * The {@code batch} command as a Spark job: the same pipeline over OpenAI Batch JSONL files on a
 * cluster, with the same per-line results as the CLI ({@link io.payloadprocessor.server.batch
 * .BatchRun} is shared). Input files (local or any Hadoop-compatible path, a directory or a glob)
 * are read in path order as one file: line numbers run across them. The output and rejects are
 * directories of part files whose concatenation, in name order, is what the CLI writes; the report
 * is one file, aggregated over the partitions, equal to the CLI's but for {@code timing}.
 */
@Command(
    name = "payload-processor-spark",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Run a PayloadProcessor pipeline over OpenAI Batch JSONL files on Apache Spark: the same"
          + " lines pass, are rewritten and are rejected as with `payload-processor batch`.",
      "Output and rejects are directories of part files (in input order when concatenated in"
          + " name order); written only when every line has run."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:completed (rejected lines included)",
      "1:a malformed line with --on-malformed fail (nothing written), or an I/O error",
      "2:bad arguments, paths or an invalid pipeline config"
    })
public final class SparkBatch implements Callable<Integer> {
  @Option(
      names = "--config",
      required = true,
      paramLabel = "PATH",
      description = "PayloadProcessor YAML file or directory (local or Hadoop path).")
  String config;

  @Option(
      names = "--input",
      required = true,
      paramLabel = "PATH",
      description = "Batch JSONL file, directory or glob (repeatable); .gz and other codecs work.")
  List<String> inputs;

  @Option(
      names = "--output",
      required = true,
      paramLabel = "DIR",
      description = "Directory for passing lines (must not exist).")
  String output;

  @Option(
      names = "--rejects",
      required = true,
      paramLabel = "DIR",
      description = "Directory for rejected and malformed lines (must not exist).")
  String rejects;

  @Option(names = "--report", paramLabel = "FILE", description = "Counts and timing as JSON.")
  String report;

  @Option(names = "--results", description = "Input is a batch output file (response phase).")
  boolean results;

  @Option(
      names = "--results-path",
      paramLabel = "PATH",
      description = "With --results: the :path of the request each response answers.")
  String resultsPath = "/v1/chat/completions";

  @Option(
      names = "--on-malformed",
      paramLabel = "fail|skip",
      description = "fail (default): exit 1 naming the first malformed line; skip: to --rejects.")
  String onMalformed = "fail";

  @Option(
      names = "--max-body-bytes",
      converter = Sizes.class,
      description = "Largest body run through the pipeline; larger ones are rejected (413).")
  long maxBodyBytes = 2L << 20;

  @Option(
      names = "--step-timeout",
      converter = Durations.class,
      description = "How long one processor may take on one line (default: 60s).")
  Duration stepTimeout = BatchOptions.DEFAULT_STEP_TIMEOUT;

  @Option(
      names = "--backend",
      paramLabel = "NAME=HOST:PORT",
      description = "Address of an ExtProcess backendRef by name (repeatable).")
  Map<String, String> backends = new LinkedHashMap<>();

  @Option(
      names = "--module-option",
      paramLabel = "KEY=VALUE",
      description = "Server-level setting for modules, e.g. redis.url=redis://host:6379.")
  Map<String, String> moduleOptions = new LinkedHashMap<>();

  @Option(
      names = "--split-bytes",
      converter = Sizes.class,
      description = "Largest input split one task reads (default: the file system's block size).")
  Long splitBytes;

  @Spec CommandLine.Model.CommandSpec spec;

  private SparkSession spark;

  /** Entry point for {@code spark-submit}. */
  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().appName("payload-processor batch").getOrCreate();
    int code;
    try {
      code = run(spark, args);
    } finally {
      spark.stop();
    }
    System.exit(code);
  }

  /** Runs the job on {@code spark}; returns the exit code. */
  public static int run(SparkSession spark, String... args) {
    SparkBatch job = new SparkBatch();
    job.spark = spark;
    return new CommandLine(job).execute(args);
  }

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    try {
      return execute(err);
    } catch (SetupException e) {
      err.println("batch: " + e.getMessage());
      return 2;
    } catch (IOException | RuntimeException e) {
      err.println("batch: failed: " + e);
      return 1;
    } finally {
      err.flush();
    }
  }

  private int execute(PrintWriter err) throws IOException, SetupException {
    BatchOptions.MalformedPolicy policy =
        switch (onMalformed) {
          case "fail" -> BatchOptions.MalformedPolicy.FAIL;
          case "skip" -> BatchOptions.MalformedPolicy.SKIP;
          default -> throw new SetupException("--on-malformed must be fail or skip");
        };
    if (stepTimeout.isNegative() || stepTimeout.isZero()) {
      throw new SetupException("--step-timeout must be positive");
    }
    BatchOptions options =
        BatchOptions.defaults()
            .withMode(results ? BatchOptions.Mode.RESULTS : BatchOptions.Mode.REQUESTS)
            .withOnMalformed(policy)
            .withMaxBodyBytes(maxBodyBytes)
            .withStepTimeout(stepTimeout)
            .withResultsPath(resultsPath);
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = new Configuration(jsc.hadoopConfiguration());
    List<Path> files = inputFiles(conf);
    Path out = qualified(conf, output);
    Path rej = qualified(conf, rejects);
    Path rep = report == null ? null : qualified(conf, report);
    checkTargets(conf, files, out, rej, rep);
    PipelineSpec pipeline = spec(conf, options);
    LoadResult loaded = pipeline.loadResult();
    if (!loaded.ok()) {
      err.println("batch: the pipeline config is invalid (" + config + ")");
      for (ConfigError e : loaded.errors()) {
        err.println("  " + e);
      }
      return 2;
    }
    loaded.pipeline().close();
    Path reportPartial = rep == null ? null : rep.suffix(BatchFiles.PARTIAL);
    if (reportPartial != null) {
      // Created now so that an unwritable report location fails before any line runs.
      reportPartial.getFileSystem(conf).create(reportPartial, true).close();
    }

    long start = System.nanoTime();
    conf.setInt(JsonlInputFormat.MAX_LINE_BYTES, options.maxLineBytes());
    if (splitBytes != null) {
      conf.setLong(FileInputFormat.SPLIT_MAXSIZE, splitBytes);
    }
    Job job = Job.getInstance(conf);
    FileInputFormat.setInputPaths(job, files.toArray(new Path[0]));
    JavaPairRDD<LongWritable, LineReader.Line> raw =
        jsc.newAPIHadoopRDD(
            job.getConfiguration(),
            JsonlInputFormat.class,
            LongWritable.class,
            LineReader.Line.class);
    JavaRDD<LineOutcome> outcomes =
        raw.values()
            .zipWithIndex()
            .mapPartitions(new PartitionRunner(pipeline))
            .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<byte[]> parts =
          outcomes
              .filter(o -> o.kind() == LineOutcome.Kind.REPORT)
              .map(LineOutcome::bytes)
              .collect();
      BatchReport total = new BatchReport(options.mode());
      for (byte[] p : parts) {
        total.merge(BatchReport.fromJson(HttpMessage.JSON.readTree(p)));
      }
      if (policy == BatchOptions.MalformedPolicy.FAIL && total.firstMalformedLine() >= 0) {
        if (reportPartial != null) {
          reportPartial.getFileSystem(conf).delete(reportPartial, false);
        }
        err.println(
            "batch: line "
                + total.firstMalformedLine()
                + ": "
                + total.firstMalformedProblem()
                + "; nothing written (use --on-malformed skip to write malformed lines to --rejects"
                + " and go on)");
        return 1;
      }
      save(outcomes, LineOutcome.Kind.OUTPUT, out, job.getConfiguration());
      save(outcomes, LineOutcome.Kind.REJECT, rej, job.getConfiguration());
      total.setTiming((System.nanoTime() - start) / 1e9, jsc.defaultParallelism());
      if (rep != null) {
        FileSystem fs = rep.getFileSystem(conf);
        try (FSDataOutputStream o = fs.create(reportPartial, true)) {
          o.write(
              HttpMessage.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(total.toJson()));
        }
        if (fs.exists(rep)) {
          fs.delete(rep, false);
        }
        if (!fs.rename(reportPartial, rep)) {
          throw new IOException("cannot rename " + reportPartial + " to " + rep);
        }
      }
      err.println("batch: " + total.summary());
      return 0;
    } finally {
      outcomes.unpersist(false);
    }
  }

  private static void save(
      JavaRDD<LineOutcome> all, LineOutcome.Kind kind, Path dir, Configuration conf) {
    all.filter(o -> o.kind() == kind)
        .mapToPair(o -> new Tuple2<>(NullWritable.get(), new Text(o.bytes())))
        .saveAsNewAPIHadoopFile(
            dir.toString(), NullWritable.class, Text.class, TextOutputFormat.class, conf);
  }

  /** The input files in order: each --input's matches in path order; directories listed. */
  private List<Path> inputFiles(Configuration conf) throws IOException, SetupException {
    Set<Path> files = new LinkedHashSet<>();
    for (String in : inputs) {
      Path p = new Path(in);
      FileSystem fs = p.getFileSystem(conf);
      FileStatus[] matches = fs.globStatus(p);
      if (matches == null || matches.length == 0) {
        throw new SetupException("--input " + in + ": no such file");
      }
      for (FileStatus m : matches) {
        if (m.isDirectory()) {
          List<Path> inDir = new ArrayList<>();
          for (FileStatus f : fs.listStatus(m.getPath())) {
            String name = f.getPath().getName();
            if (f.isFile() && !name.startsWith("_") && !name.startsWith(".")) {
              inDir.add(f.getPath());
            }
          }
          inDir.sort(null);
          files.addAll(inDir);
        } else {
          files.add(m.getPath());
        }
      }
    }
    if (files.isEmpty()) {
      throw new SetupException("--input: no files to read");
    }
    return new ArrayList<>(files);
  }

  private static Path qualified(Configuration conf, String s) throws IOException {
    Path p = new Path(s);
    return p.getFileSystem(conf).makeQualified(p);
  }

  /**
   * Output and rejects must not exist (Hadoop never writes into an existing directory); no target
   * may be an input, another target, or inside one.
   */
  private static void checkTargets(
      Configuration conf, List<Path> inputs, Path out, Path rej, Path rep)
      throws IOException, SetupException {
    for (Path dir : new Path[] {out, rej}) {
      if (dir.getFileSystem(conf).exists(dir)) {
        throw new SetupException(dir + " exists; the job writes a new directory there");
      }
    }
    List<Path> targets = new ArrayList<>(List.of(out, rej));
    if (rep != null) {
      targets.add(rep);
    }
    for (int i = 0; i < targets.size(); i++) {
      for (int j = 0; j < targets.size(); j++) {
        if (i != j && within(targets.get(i), targets.get(j))) {
          throw new SetupException(
              targets.get(i) + " and " + targets.get(j) + " overlap; each needs its own path");
        }
      }
      for (Path in : inputs) {
        if (within(in, targets.get(i)) || within(resolved(conf, in), targets.get(i))) {
          throw new SetupException("input " + in + " is the same as or inside " + targets.get(i));
        }
      }
    }
  }

  /** True when {@code p} is {@code dir} or below it. */
  private static boolean within(Path p, Path dir) {
    for (Path q = p; q != null; q = q.getParent()) {
      if (q.equals(dir)) {
        return true;
      }
    }
    return false;
  }

  /** An input with its links resolved, where the file system knows links. */
  private static Path resolved(Configuration conf, Path p) {
    try {
      FileSystem fs = p.getFileSystem(conf);
      return fs.resolvePath(p);
    } catch (IOException | UnsupportedOperationException e) {
      return p;
    }
  }

  /** Reads the config on the driver (any file system) into a spec the executors load. */
  private PipelineSpec spec(Configuration conf, BatchOptions options)
      throws IOException, SetupException {
    Path p = new Path(config);
    FileSystem fs = p.getFileSystem(conf);
    if (!fs.exists(p)) {
      throw new SetupException("--config " + config + ": cannot read: no such file or directory");
    }
    List<Path> yaml = new ArrayList<>();
    if (fs.getFileStatus(p).isDirectory()) {
      for (FileStatus f : fs.listStatus(p)) {
        String name = f.getPath().getName();
        String lower = name.toLowerCase(Locale.ROOT);
        if (f.isFile()
            && !name.startsWith(".")
            && (lower.endsWith(".yaml") || lower.endsWith(".yml"))) {
          yaml.add(f.getPath());
        }
      }
      yaml.sort((a, b) -> a.getName().compareTo(b.getName()));
    } else {
      yaml.add(p);
    }
    Map<String, String> texts = new LinkedHashMap<>();
    for (Path f : yaml) {
      try (var in = fs.open(f)) {
        texts.put(f.toString(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    String dir =
        "file".equals(fs.getScheme())
            ? java.nio.file.Path.of(
                    fs.getFileStatus(p).isDirectory()
                        ? p.toUri().getPath()
                        : p.getParent().toUri().getPath())
                .toString()
            : java.nio.file.Path.of("").toAbsolutePath().toString();
    List<byte[]> parts = new ArrayList<>();
    for (String text : texts.values()) {
      parts.add(text.getBytes(StandardCharsets.UTF_8));
    }
    parts.add((dir + backends + moduleOptions + options).getBytes(StandardCharsets.UTF_8));
    String fingerprint = BatchFiles.sha256(parts);
    return new PipelineSpec(texts, dir, backends, moduleOptions, options, fingerprint);
  }

  /** A path or argument that cannot work: exit code 2. */
  private static final class SetupException extends Exception {
    private static final long serialVersionUID = 1L;

    SetupException(String message) {
      super(message);
    }
  }
}
