package io.payloadprocessor.modules.credentialinjector;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.payloadprocessor.logging.LogFields;
import io.payloadprocessor.modules.ModuleChecks;
import io.payloadprocessor.spi.BackendException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keys read from files (mounted Kubernetes Secrets), each kept for a short time and then read
 * again, so a rotated Secret takes effect within the refresh interval without a restart. Kubernetes
 * swaps the whole directory through a symlink on update, which a re-read follows. A failed read is
 * not cached: the next request tries again.
 */
final class KeyFileStore {
  private static final Logger LOG = LoggerFactory.getLogger(KeyFileStore.class);

  private final Cache<Path, Secret> cache;

  KeyFileStore(Duration refresh, Ticker ticker) {
    this.cache =
        Caffeine.newBuilder().expireAfterWrite(refresh).ticker(ticker).maximumSize(1024).build();
  }

  /**
   * The key in {@code file}, trimmed of surrounding whitespace (files usually end with a newline).
   *
   * @throws BackendException when the file is missing, unreadable, empty or holds a value that
   *     cannot be a header. Its message, which the client sees, names the entry only; the file and
   *     the problem go to the operator's log (WARN, rate-limited), never the content.
   */
  Secret get(String entry, Path file) throws BackendException {
    String problem;
    try {
      return cache.get(file, KeyFileStore::read);
    } catch (UncheckedIOException e) {
      problem =
          e.getCause() instanceof NoSuchFileException
              ? "does not exist"
              : e.getCause() instanceof AccessDeniedException
                  ? "is not readable (permission denied)"
                  : "cannot be read (" + e.getCause().getClass().getSimpleName() + ")";
    } catch (IllegalStateException e) {
      problem = e.getMessage();
    }
    LOG.atWarn()
        .addKeyValue("entry", entry)
        .addKeyValue("key_file", file.toString())
        .addKeyValue(LogFields.REASON, problem)
        .log("credential key file unusable; requests for this entry fail");
    throw new BackendException("the upstream credential of " + entry + " is not available");
  }

  private static Secret read(Path file) {
    String key;
    try {
      key = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (key.isEmpty()) {
      throw new IllegalStateException("is empty");
    }
    if (!ModuleChecks.isHeaderValue(key)) {
      throw new IllegalStateException("holds characters a header cannot carry");
    }
    return new Secret(key);
  }
}
