package io.payloadprocessor.modules.bodyfieldtoheader;

import io.payloadprocessor.modules.ModuleChecks;
import io.payloadprocessor.spi.Block;
import io.payloadprocessor.spi.Exchange;
import io.payloadprocessor.spi.Headers;
import io.payloadprocessor.spi.Mutation;
import io.payloadprocessor.spi.Outcome;
import io.payloadprocessor.spi.Processor;
import java.util.Map;

/**
 * Copies one JSON body field into a request header (overwriting any value the client sent) and asks
 * Envoy to re-route, like the Gateway API Inference Extension body-based router. The field is read
 * with a {@link StreamingFieldExtractor} over the decoded body bytes, not from a parsed tree.
 */
public final class BodyFieldToHeaderProcessor implements Processor {
  private final String header;
  private final String baseModelHeader;
  private final Map<String, String> loraAdapters;
  private final boolean onMissingReject;
  private final boolean clearRouteCache;
  private final String field;
  private final StreamingFieldExtractor extractor;

  public BodyFieldToHeaderProcessor(BodyFieldToHeaderConfig config) {
    JsonFieldPath path = JsonFieldPath.parse(config.field());
    this.field = config.field();
    this.header = Headers.normalize(config.header());
    this.baseModelHeader =
        config.loraAdapters().isEmpty() ? null : Headers.normalize(config.baseModelHeader());
    this.loraAdapters = config.loraAdapters();
    this.onMissingReject = config.onMissing() == BodyFieldToHeaderConfig.OnMissing.REJECT;
    this.clearRouteCache = config.clearRouteCache();
    this.extractor =
        new StreamingFieldExtractor(
            path,
            config.scan() == BodyFieldToHeaderConfig.ScanMode.UNTIL_FIELD
                ? StreamingFieldExtractor.Scan.UNTIL_FIELD
                : StreamingFieldExtractor.Scan.WHOLE);
  }

  @Override
  public Outcome onRequest(Exchange exchange) throws Exception {
    FieldValue value = extractor.extract(exchange.request().body());
    switch (value.kind()) {
      case SCALAR -> {
        if (!value.text().isEmpty()) {
          return found(value.text());
        }
        return missing(exchange.request().headers());
      }
      case NON_SCALAR -> {
        return Outcome.reject(
            Block.of(
                400,
                "body_field_not_scalar",
                "request body field " + field + " is an object or array, not a header value"));
      }
      default -> {
        return missing(exchange.request().headers());
      }
    }
  }

  private Outcome found(String text) {
    if (!ModuleChecks.isHeaderValue(text)) {
      // The value is not repeated: it is client content that failed a header check.
      return Outcome.reject(
          Block.of(
              400,
              "invalid_header_value",
              "request body field "
                  + field
                  + " cannot be a header value (control characters or surrounding spaces)"));
    }
    Mutation m = Mutation.create().setHeader(header, text);
    if (baseModelHeader != null) {
      m.setHeader(baseModelHeader, loraAdapters.getOrDefault(text, text));
    }
    if (clearRouteCache) {
      m.clearRouteCache();
    }
    return Outcome.proceed(m);
  }

  private Outcome missing(Headers headers) {
    if (onMissingReject) {
      return Outcome.reject(
          Block.of(400, "missing_body_field", "request body has no field " + field));
    }
    // A client-supplied value must not steer routing when the body does not back it.
    boolean had = headers.contains(header);
    Mutation m = Mutation.create().removeHeader(header);
    if (baseModelHeader != null) {
      had |= headers.contains(baseModelHeader);
      m.removeHeader(baseModelHeader);
    }
    if (had && clearRouteCache) {
      m.clearRouteCache();
    }
    return Outcome.proceed(m);
  }
}
