package io.payloadprocessor.envoysim;

import io.envoyproxy.envoy.config.core.v3.HeaderValueOption;
import io.envoyproxy.envoy.service.ext_proc.v3.HeaderMutation;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Envoy's header mutation checking ({@code mutation_rules} with default settings) and application
 * ({@code MutationUtils::applyHeaderMutations}). Hand-written because no library models Envoy's
 * rules; kept to the rules listed in the reference.
 */
final class MutationRules {
  enum Result {
    OK,
    IGNORE,
    FAIL
  }

  /** A mutation failure that ends the request with a 500 local reply. */
  static final class MutationFailure extends Exception {
    private static final long serialVersionUID = 1L;

    MutationFailure(String message) {
      super(message);
    }
  }

  private final boolean disallowIsError;
  private final boolean immediateResponse;
  private final int maxHeadersCount;
  private final long maxHeadersBytes;

  private MutationRules(
      boolean disallowIsError, boolean immediateResponse, int maxHeadersCount, long maxBytes) {
    this.disallowIsError = disallowIsError;
    this.immediateResponse = immediateResponse;
    this.maxHeadersCount = maxHeadersCount;
    this.maxHeadersBytes = maxBytes;
  }

  static MutationRules forFilter(EnvoyFilterConfig config) {
    return new MutationRules(
        config.disallowIsError(), false, config.maxHeadersCount(), config.maxHeadersKb() * 1024L);
  }

  /** The rules for ImmediateResponse headers: system and x-envoy headers are dropped. */
  static MutationRules forImmediateResponse(EnvoyFilterConfig config) {
    return new MutationRules(false, true, config.maxHeadersCount(), config.maxHeadersKb() * 1024L);
  }

  static boolean isSystemHeader(String name) {
    return name.startsWith(":") || name.equals("host");
  }

  Result check(boolean remove, String name, byte[] value) {
    boolean allowed;
    if (remove && isSystemHeader(name)) {
      allowed = false;
    } else if (immediateResponse) {
      allowed = !isSystemHeader(name) && !name.startsWith("x-envoy");
    } else if (name.equals(":status")) {
      allowed = validStatus(value);
    } else if (name.equals("host")
        || name.equals(":authority")
        || name.equals(":method")
        || name.equals(":scheme")) {
      allowed = false;
    } else {
      allowed = !name.startsWith("x-envoy");
    }
    if (allowed) {
      return Result.OK;
    }
    return disallowIsError ? Result.FAIL : Result.IGNORE;
  }

  private static boolean validStatus(byte[] value) {
    try {
      int status = Integer.parseInt(new String(value, java.nio.charset.StandardCharsets.US_ASCII));
      return status >= 200;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /**
   * Applies a mutation to {@code headers} in Envoy's order: count check, removes in list order,
   * then sets in list order, then the resulting size check.
   *
   * @param replacing CONTINUE_AND_REPLACE: {@code :method} may then be changed
   * @param rejected counter of rejected mutations
   */
  void apply(HeaderMutation mutation, HeaderList headers, boolean replacing, AtomicLong rejected)
      throws MutationFailure {
    if (mutation.getRemoveHeadersCount() > maxHeadersCount
        || mutation.getSetHeadersCount() > maxHeadersCount) {
      throw new MutationFailure(
          "header mutation remove_headers or set_headers size exceeds the max headers count limit");
    }
    for (String raw : mutation.getRemoveHeadersList()) {
      if (!validName(raw)) {
        rejected.incrementAndGet();
        throw new MutationFailure("Invalid character in remove_headers mutation.");
      }
      String name = raw.toLowerCase(Locale.ROOT);
      switch (check(true, name, new byte[0])) {
        case OK -> headers.remove(name);
        case IGNORE -> rejected.incrementAndGet();
        case FAIL -> {
          rejected.incrementAndGet();
          throw new MutationFailure("Invalid attempt to remove " + name);
        }
      }
    }
    for (HeaderValueOption option : mutation.getSetHeadersList()) {
      String raw = option.getHeader().getKey();
      // Envoy 1.34 reads only raw_value: a header sent with only `value` becomes empty.
      byte[] value = option.getHeader().getRawValue().toByteArray();
      if (!validName(raw) || !validValue(value)) {
        rejected.incrementAndGet();
        throw new MutationFailure("Invalid character in set_headers mutation.");
      }
      String name = raw.toLowerCase(Locale.ROOT);
      // Only the deprecated `append` BoolValue is read; append_action/keep_empty_value ignored.
      @SuppressWarnings("deprecation")
      boolean append = option.hasAppend() && option.getAppend().getValue();
      Result r = check(false, name, value);
      if (replacing && name.equals(":method")) {
        r = Result.OK;
      }
      switch (r) {
        case OK -> {
          if (append) {
            headers.add(name, value);
          } else {
            headers.set(name, value);
          }
        }
        case IGNORE -> rejected.incrementAndGet();
        case FAIL -> {
          rejected.incrementAndGet();
          throw new MutationFailure("Invalid attempt to modify HTTP header: " + name);
        }
      }
    }
    if (headers.size() > maxHeadersCount || headers.byteSize() > maxHeadersBytes) {
      throw new MutationFailure(
          "header map exceeds the headers count or size limit after mutation");
    }
  }

  /** nghttp2_check_header_name on the lower-cased name (a leading ':' allowed). */
  static boolean validName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    int start = name.charAt(0) == ':' ? 1 : 0;
    if (start == name.length()) {
      return false;
    }
    for (int i = start; i < name.length(); i++) {
      char c = Character.toLowerCase(name.charAt(i));
      boolean token =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!token) {
        return false;
      }
    }
    return true;
  }

  /** nghttp2_check_header_value: no control characters except HTAB; obs-text allowed. */
  static boolean validValue(byte[] value) {
    for (byte b : value) {
      int c = b & 0xff;
      if ((c < 0x20 && c != 0x09) || c == 0x7f) {
        return false;
      }
    }
    return true;
  }
}
