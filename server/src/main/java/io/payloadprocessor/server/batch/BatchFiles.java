package io.payloadprocessor.server.batch;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.runtime.HttpMessage;
import io.payloadprocessor.server.config.PipelineLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The files of one CLI batch run, handled so that a run never loses or mixes data:
 *
 * <ul>
 *   <li>Input, output, rejects and report must be distinct files, also through symbolic and hard
 *       links; this is checked before anything is read or written.
 *   <li>Results go to {@code FILE.partial} siblings, created up front (an unwritable directory
 *       fails before processing) and renamed over the targets only when the run completes, so a
 *       failed run truncates nothing.
 *   <li>An interrupted run leaves its partial files and an incomplete report ({@code
 *       REPORT.partial}) with the last committed line; {@link #prepare} with {@code resume}
 *       truncates the partial files to that point and continues after it, so no line is written
 *       twice.
 * </ul>
 */
public final class BatchFiles implements AutoCloseable {
  /** Suffix of the files a run writes before it completes. */
  public static final String PARTIAL = ".partial";

  /** The user gave paths or flags that cannot work (exit code 2). */
  public static final class SetupException extends Exception {
    private static final long serialVersionUID = 1L;

    public SetupException(String message) {
      super(message);
    }
  }

  private final Path input;
  private final Path output;
  private final Path rejects;
  private final Path report;
  private final String fingerprint;
  private final FileChannel out;
  private final FileChannel rej;
  private final FileLock lock;
  private final BatchReport previous;

  private BatchFiles(
      Path input,
      Path output,
      Path rejects,
      Path report,
      String fingerprint,
      FileChannel out,
      FileChannel rej,
      FileLock lock,
      BatchReport previous) {
    this.input = input;
    this.output = output;
    this.rejects = rejects;
    this.report = report;
    this.fingerprint = fingerprint;
    this.out = out;
    this.rej = rej;
    this.lock = lock;
    this.previous = previous;
  }

  /**
   * Checks the paths and opens the partial files, before any line is read.
   *
   * @param report the report file, or null (then an interrupted run cannot be resumed)
   * @param resume continue the interrupted run recorded in {@code REPORT.partial}
   * @param fingerprint what the results depend on (see {@link #fingerprint}); a run resumes only
   *     under the same one
   */
  public static BatchFiles prepare(
      Path input, Path output, Path rejects, Path report, boolean resume, String fingerprint)
      throws SetupException, IOException {
    if (!Files.isRegularFile(input)) {
      throw new SetupException(input + ": cannot read: no such file");
    }
    checkDistinct(input, output, rejects, report);
    Path reportPartial = report == null ? null : partial(report);
    BatchReport previous = null;
    if (resume) {
      if (report == null) {
        throw new SetupException(
            "--resume needs --report: the interrupted run's report is where it resumes from");
      }
      previous = readCheckpoint(reportPartial, report);
      checkResumable(previous.checkpoint(), input, output, rejects, fingerprint);
    } else if (reportPartial != null && isCheckpoint(reportPartial)) {
      throw new SetupException(
          "an interrupted run left "
              + reportPartial
              + ": continue it with --resume, or delete it to start over");
    }
    FileChannel out = open(partial(output), resume);
    FileChannel rej = null;
    FileLock lock = null;
    try {
      lock = tryLock(out, output);
      rej = open(partial(rejects), resume);
      if (resume) {
        out.truncate(previous.checkpoint().outputBytes());
        rej.truncate(previous.checkpoint().rejectsBytes());
      }
      out.position(out.size());
      rej.position(rej.size());
      if (reportPartial != null && !resume) {
        // Created now so that an unwritable report directory fails before processing.
        Files.write(reportPartial, new byte[0]);
      }
      return new BatchFiles(input, output, rejects, report, fingerprint, out, rej, lock, previous);
    } catch (IOException | SetupException | RuntimeException e) {
      closeQuietly(out);
      closeQuietly(rej);
      if (!resume) {
        deleteQuietly(partial(output));
        deleteQuietly(partial(rejects));
      }
      throw e;
    }
  }

  /** The counts of the interrupted run this one continues, or null for a fresh run. */
  public BatchReport previous() {
    return previous;
  }

  /** The input, positioned after the last committed line of the run being resumed. */
  public InputStream openInput() throws IOException {
    FileChannel in = FileChannel.open(input, StandardOpenOption.READ);
    if (previous != null) {
      in.position(previous.checkpoint().inputOffset());
    }
    return Channels.newInputStream(in);
  }

  public long inputSize() throws IOException {
    return Files.size(input);
  }

  /** Where passing lines go (not closed by closing the stream's user; {@link #close} does). */
  public OutputStream output() {
    return Channels.newOutputStream(out);
  }

  public OutputStream rejects() {
    return Channels.newOutputStream(rej);
  }

  /**
   * Records an interrupted run: syncs the partial files and writes the incomplete report. Call
   * after flushing everything written for lines up to {@code lastLine}.
   *
   * @return false when there is no report to record it in (the partial files are then removed)
   */
  public boolean checkpoint(BatchReport r, long lastLine, long inputOffset) throws IOException {
    if (report == null) {
      discard();
      return false;
    }
    out.force(true);
    rej.force(true);
    r.setCheckpoint(
        new BatchReport.Checkpoint(
            lastLine,
            inputOffset,
            out.size(),
            rej.size(),
            Files.size(input),
            Files.getLastModifiedTime(input).toMillis(),
            fingerprint));
    writeReport(r, partial(report));
    close();
    return true;
  }

  /** Completes the run: syncs, then renames the partial files over the targets, report last. */
  public void commit(BatchReport r) throws IOException {
    out.force(true);
    rej.force(true);
    close();
    move(partial(output), output);
    move(partial(rejects), rejects);
    if (report != null) {
      r.setCheckpoint(null);
      writeReport(r, partial(report));
      move(partial(report), report);
    }
  }

  /**
   * Abandons a fresh run: removes its partial files. A resumed run keeps them, so that it can still
   * be resumed from its last checkpoint.
   */
  public void discard() {
    close();
    if (previous == null) {
      deleteQuietly(partial(output));
      deleteQuietly(partial(rejects));
      if (report != null) {
        deleteQuietly(partial(report));
      }
    }
  }

  @Override
  public void close() {
    if (lock != null && lock.isValid()) {
      try {
        lock.release();
      } catch (IOException e) {
        // Closing the channel releases it too.
      }
    }
    closeQuietly(out);
    closeQuietly(rej);
  }

  /** Writes a report as pretty-printed JSON. */
  public static void writeReport(BatchReport r, Path path) throws IOException {
    Files.write(
        path, HttpMessage.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(r.toJson()));
  }

  /**
   * A digest of everything the results depend on: the config files' bytes (a directory's YAML files
   * in load order) and {@code settings} (backends, module options, {@link
   * BatchOptions#outcomeSettings()}).
   */
  public static String fingerprint(Path config, Map<String, String> settings) throws IOException {
    List<byte[]> parts = new ArrayList<>();
    List<Path> files =
        Files.isDirectory(config) ? PipelineLoader.yamlFiles(config) : List.of(config);
    for (Path f : files) {
      parts.add(f.getFileName().toString().getBytes(StandardCharsets.UTF_8));
      parts.add(Files.readAllBytes(f));
    }
    new TreeMap<>(settings)
        .forEach((k, v) -> parts.add((k + "=" + v).getBytes(StandardCharsets.UTF_8)));
    return sha256(parts);
  }

  /** SHA-256 in hex of the parts, each followed by a NUL byte (so that no two lists collide). */
  public static String sha256(List<byte[]> parts) {
    MessageDigest d;
    try {
      d = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
    for (byte[] p : parts) {
      d.update(p);
      d.update((byte) 0);
    }
    return HexFormat.of().formatHex(d.digest());
  }

  static Path partial(Path p) {
    return p.resolveSibling(p.getFileName() + PARTIAL);
  }

  /** Refuses two roles for one file, through links, including the partial files' names. */
  private static void checkDistinct(Path input, Path output, Path rejects, Path report)
      throws SetupException, IOException {
    List<String> roles = new ArrayList<>(List.of("--input", "--output", "--rejects"));
    List<Path> paths = new ArrayList<>(List.of(input, output, rejects));
    if (report != null) {
      roles.add("--report");
      paths.add(report);
    }
    for (int i = 1, n = paths.size(); i < n; i++) {
      roles.add(roles.get(i) + " (" + PARTIAL + ")");
      paths.add(partial(paths.get(i)));
    }
    List<Path> real = new ArrayList<>();
    for (int i = 0; i < paths.size(); i++) {
      real.add(resolved(paths.get(i), roles.get(i)));
    }
    for (int i = 0; i < paths.size(); i++) {
      for (int j = i + 1; j < paths.size(); j++) {
        if (real.get(i).equals(real.get(j)) || sameExistingFile(real.get(i), real.get(j))) {
          throw new SetupException(
              roles.get(i)
                  + " "
                  + paths.get(i)
                  + " and "
                  + roles.get(j)
                  + " "
                  + paths.get(j)
                  + " are the same file; each needs its own");
        }
      }
    }
  }

  /** The path with every link resolved (its parent's when it does not exist yet). */
  private static Path resolved(Path p, String role) throws SetupException, IOException {
    if (Files.exists(p)) {
      return p.toRealPath();
    }
    Path abs = p.toAbsolutePath();
    Path parent = abs.getParent();
    if (parent == null || !Files.isDirectory(parent)) {
      throw new SetupException(role + " " + p + ": cannot write: no such directory " + parent);
    }
    return parent.toRealPath().resolve(abs.getFileName());
  }

  private static boolean sameExistingFile(Path a, Path b) throws IOException {
    return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b); // hard links
  }

  private static FileChannel open(Path p, boolean resume) throws IOException, SetupException {
    try {
      return resume
          ? FileChannel.open(p, StandardOpenOption.WRITE)
          : FileChannel.open(
              p,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.TRUNCATE_EXISTING);
    } catch (NoSuchFileException e) {
      throw new SetupException(
          p + ": not found; the partial files of the interrupted run are needed to resume it");
    } catch (java.nio.file.AccessDeniedException e) {
      throw new SetupException(p + ": cannot write: permission denied");
    }
  }

  private static FileLock tryLock(FileChannel ch, Path output) throws IOException, SetupException {
    FileLock l;
    try {
      l = ch.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null;
    }
    if (l == null) {
      throw new SetupException("another batch run is writing " + output);
    }
    return l;
  }

  private static boolean isCheckpoint(Path reportPartial) {
    try {
      JsonNode n = HttpMessage.JSON.readTree(Files.readAllBytes(reportPartial));
      return n != null && n.path("resume").isObject();
    } catch (IOException e) {
      return false; // absent, empty or not a report: nothing to protect
    }
  }

  private static BatchReport readCheckpoint(Path reportPartial, Path report) throws SetupException {
    if (!Files.exists(reportPartial)) {
      throw new SetupException(
          Files.exists(report)
              ? "nothing to resume: " + reportPartial + " not found (" + report + " is complete)"
              : "nothing to resume: " + reportPartial + " not found");
    }
    BatchReport r;
    try {
      r = BatchReport.fromJson(HttpMessage.JSON.readTree(Files.readAllBytes(reportPartial)));
    } catch (IOException | IllegalArgumentException e) {
      throw new SetupException(reportPartial + ": not a batch report");
    }
    if (r.checkpoint() == null) {
      throw new SetupException(reportPartial + ": the report has no resume point");
    }
    return r;
  }

  private static void checkResumable(
      BatchReport.Checkpoint c, Path input, Path output, Path rejects, String fingerprint)
      throws SetupException, IOException {
    if (Files.size(input) != c.inputSize()
        || Files.getLastModifiedTime(input).toMillis() != c.inputModified()) {
      throw new SetupException(
          input + " changed since the interrupted run; start over without --resume");
    }
    if (!fingerprint.equals(c.fingerprint())) {
      throw new SetupException(
          "the config or the settings that change results differ from the interrupted run's;"
              + " resume with the same ones, or start over without --resume");
    }
    for (Path p : new Path[] {partial(output), partial(rejects)}) {
      long need = p.equals(partial(output)) ? c.outputBytes() : c.rejectsBytes();
      if (!Files.isRegularFile(p) || Files.size(p) < need) {
        throw new SetupException(
            p
                + ": missing or shorter than the interrupted run left it; start over without --resume");
      }
    }
  }

  private static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }

  private static void closeQuietly(FileChannel c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException e) {
        // Nothing left to do with it.
      }
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      // A leftover partial file is harmless: the next run truncates it.
    }
  }
}
