package io.payloadprocessor.modules.credentialinjector;

import com.fasterxml.jackson.databind.JsonNode;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.MessageView;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Puts the upstream credential for a model (or backend) into the request: removes the client's own
 * credential headers, then sets the matched entry's header to its prefix plus the key read from the
 * entry's file. With no matching entry and no default, the client's credentials are still removed
 * and the request goes on without one. A key file that cannot be read is a {@link
 * io.payloadprocessor.spi.BackendException} (502 under FailClosed). Keys never appear in logs,
 * errors, metadata or {@code toString}.
 */
public final class CredentialInjectorProcessor implements Processor {
  /** One resolved entry: where its key lives and how it is sent. */
  record Target(String label, Path keyFile, String header, String prefix) {}

  private final boolean matchByBody;
  private final String matchHeader;
  private final Map<String, Target> byName;
  private final Target fallback;
  private final List<String> stripHeaders;
  private final KeyFileStore keys;

  CredentialInjectorProcessor(
      boolean matchByBody,
      String matchHeader,
      Map<String, Target> byName,
      Target fallback,
      List<String> stripHeaders,
      KeyFileStore keys) {
    this.matchByBody = matchByBody;
    this.matchHeader = matchHeader;
    this.byName = Map.copyOf(byName);
    this.fallback = fallback;
    this.stripHeaders = List.copyOf(stripHeaders);
    this.keys = keys;
  }

  @Override
  public boolean readsRequestBody() {
    return matchByBody;
  }

  @Override
  public Outcome onRequest(Exchange exchange) throws Exception {
    Target target = select(exchange.request());
    Mutation m = Mutation.create();
    stripHeaders.forEach(m::removeHeader);
    if (target != null) {
      Secret key = keys.get(target.label(), target.keyFile());
      m.setHeader(target.header(), target.prefix() + key.reveal());
    }
    return Outcome.proceed(m);
  }

  private Target select(MessageView request) throws Exception {
    String name;
    if (matchByBody) {
      JsonNode model = request.json().get("model");
      name = model != null && model.isTextual() ? model.asText() : null;
    } else {
      name = request.headers().get(matchHeader);
    }
    Target t = name == null ? null : byName.get(name);
    return t != null ? t : fallback;
  }
}
