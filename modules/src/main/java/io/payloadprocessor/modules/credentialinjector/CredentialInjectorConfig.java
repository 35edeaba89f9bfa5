package io.payloadprocessor.modules.credentialinjector;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * Config of {@code credential-injector}. It names key files, never keys: nothing here is secret, so
 * the generated {@code toString} is safe to log.
 *
 * @param matchBy where the model (or backend) name comes from: {@code header} (default) or {@code
 *     body} (the JSON body's top-level {@code model})
 * @param matchHeader the header read with {@code matchBy: header} (default {@code
 *     x-gateway-model-name}, as set by {@code body-field-to-header})
 * @param entries one per credential
 * @param stripHeaders client credential headers removed first (default {@code authorization},
 *     {@code x-api-key}, {@code api-key})
 * @param refreshInterval how long a key read from its file is used before the file is read again
 *     (default {@code 10s}; {@code ms}, {@code s} or {@code m})
 */
public record CredentialInjectorConfig(
    MatchBy matchBy,
    String matchHeader,
    List<Entry> entries,
    List<String> stripHeaders,
    String refreshInterval) {

  public static final List<String> DEFAULT_STRIP = List.of("authorization", "x-api-key", "api-key");

  /** Where the name that selects an entry comes from. */
  public enum MatchBy {
    @JsonProperty("header")
    HEADER,
    @JsonProperty("body")
    BODY
  }

  /** Header conventions of the common providers. */
  public enum Provider {
    /** {@code Authorization: Bearer <key>} (OpenAI and most OpenAI-compatible servers). */
    @JsonProperty("openai")
    OPENAI("authorization", "Bearer "),
    /** {@code x-api-key: <key>}. */
    @JsonProperty("anthropic")
    ANTHROPIC("x-api-key", ""),
    /** {@code api-key: <key>} (Azure OpenAI). */
    @JsonProperty("azure")
    AZURE("api-key", "");

    private final String header;
    private final String prefix;

    Provider(String header, String prefix) {
      this.header = header;
      this.prefix = prefix;
    }

    public String header() {
      return header;
    }

    public String prefix() {
      return prefix;
    }
  }

  /**
   * One credential.
   *
   * @param name label used in errors (default {@code entries[i]})
   * @param models names (models or backends) this entry serves
   * @param isDefault the entry used when no other matches (at most one)
   * @param keyFile file holding the key, e.g. a mounted Secret; relative paths resolve against the
   *     directory of the config file
   * @param provider header convention (default {@code openai})
   * @param header header to set, overriding the provider's
   * @param prefix text before the key (default the provider's when {@code header} is not given,
   *     else "")
   */
  public record Entry(
      String name,
      List<String> models,
      @JsonProperty("default") Boolean isDefault,
      String keyFile,
      Provider provider,
      String header,
      String prefix) {
    public Entry {
      models = models == null ? List.of() : List.copyOf(models);
      isDefault = isDefault == null ? Boolean.FALSE : isDefault;
      provider = provider == null ? Provider.OPENAI : provider;
      prefix = prefix != null ? prefix : header == null ? provider.prefix() : "";
      header = header == null ? provider.header() : header;
    }
  }

  public CredentialInjectorConfig {
    matchBy = matchBy == null ? MatchBy.HEADER : matchBy;
    matchHeader = matchHeader == null ? "x-gateway-model-name" : matchHeader;
    entries = entries == null ? List.of() : List.copyOf(entries);
    stripHeaders = stripHeaders == null ? DEFAULT_STRIP : List.copyOf(stripHeaders);
    refreshInterval = refreshInterval == null ? "10s" : refreshInterval;
  }
}
