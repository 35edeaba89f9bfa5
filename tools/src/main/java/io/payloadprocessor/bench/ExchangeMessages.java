package io.payloadprocessor.bench;

import com.google.protobuf.ByteString;
import io.envoyproxy.envoy.config.core.v3.HeaderMap;
import io.envoyproxy.envoy.config.core.v3.HeaderValue;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpBody;
import io.envoyproxy.envoy.service.ext_proc.v3.HttpHeaders;
import io.envoyproxy.envoy.service.ext_proc.v3.ProcessingRequest;
import io.envoyproxy.envoy.service.ext_proc.v3.ProtocolConfiguration;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The ProcessingRequests Envoy would send for one simulated HTTP exchange, encoded as Envoy does:
 * lower-case keys, values only in {@code raw_value}, pseudo-headers included, an (empty) {@code
 * metadata_context} on every message and {@code protocol_config} on the first message of the stream
 * only. Bodies are built once and shared by all exchanges.
 */
final class ExchangeMessages {
  private static final Metadata NO_METADATA = Metadata.getDefaultInstance();

  private final LoadSettings settings;
  private final HeaderMap requestHeaderTemplate;
  private final ProcessingRequest requestBody;
  private final ProcessingRequest responseHeaders;
  private final ProcessingRequest responseBody;
  private final ProtocolConfiguration protocol;

  ExchangeMessages(LoadSettings settings) {
    this.settings = settings;
    byte[] request = settings.headersOnly() ? new byte[0] : chatRequest(settings);
    this.requestHeaderTemplate = requestHeaderMap(settings, request.length);
    this.requestBody =
        ProcessingRequest.newBuilder()
            .setRequestBody(
                HttpBody.newBuilder().setBody(ByteString.copyFrom(request)).setEndOfStream(true))
            .setMetadataContext(NO_METADATA)
            .build();
    byte[] response =
        settings.responseBodyBytes() > 0
            ? ChatBodies.chatResponse(settings.model(), settings.responseBodyBytes())
            : new byte[0];
    HeaderMap.Builder responseMap = HeaderMap.newBuilder();
    add(responseMap, ":status", "200");
    add(responseMap, "content-type", "application/json");
    add(responseMap, "content-length", Integer.toString(response.length));
    this.responseHeaders =
        ProcessingRequest.newBuilder()
            .setResponseHeaders(
                HttpHeaders.newBuilder()
                    .setHeaders(responseMap)
                    .setEndOfStream(response.length == 0))
            .setMetadataContext(NO_METADATA)
            .build();
    this.responseBody =
        ProcessingRequest.newBuilder()
            .setResponseBody(
                HttpBody.newBuilder().setBody(ByteString.copyFrom(response)).setEndOfStream(true))
            .setMetadataContext(NO_METADATA)
            .build();
    this.protocol =
        ProtocolConfiguration.newBuilder()
            .setRequestBodyMode(settings.headersOnly() ? BodySendMode.NONE : BodySendMode.BUFFERED)
            .setResponseBodyMode(
                settings.headersOnly() || settings.skipResponse()
                    ? BodySendMode.NONE
                    : BodySendMode.BUFFERED)
            .build();
  }

  /** The first message of an exchange; a fresh {@code x-request-id} each time, as Envoy adds. */
  ProcessingRequest requestHeaders() {
    HeaderMap headers =
        requestHeaderTemplate.toBuilder().addHeaders(header("x-request-id", requestId())).build();
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(
            HttpHeaders.newBuilder().setHeaders(headers).setEndOfStream(settings.headersOnly()))
        .setMetadataContext(NO_METADATA)
        .setProtocolConfig(protocol)
        .build();
  }

  ProcessingRequest requestBody() {
    return requestBody;
  }

  /** Response headers; end_of_stream is set when there is no response body. */
  ProcessingRequest responseHeaders() {
    return responseHeaders;
  }

  boolean hasResponseBody() {
    return settings.responseBodyBytes() > 0;
  }

  ProcessingRequest responseBody() {
    return responseBody;
  }

  /**
   * The single message used for h2load: request headers of a GET with end_of_stream=true, so one
   * answer completes the exchange.
   */
  static ProcessingRequest headersOnlyRequest(String path) {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    add(map, ":authority", "ai-gateway.local");
    add(map, ":path", path);
    add(map, ":method", "GET");
    add(map, ":scheme", "http");
    add(map, "user-agent", "payload-processor-load/1");
    add(map, "x-request-id", "00000000-0000-4000-8000-000000000000");
    return ProcessingRequest.newBuilder()
        .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(map).setEndOfStream(true))
        .setMetadataContext(NO_METADATA)
        .setProtocolConfig(ProtocolConfiguration.getDefaultInstance())
        .build();
  }

  /**
   * The request messages of a POST with a chat body of about {@code bodyBytes}, BUFFERED: headers
   * (end_of_stream=false, protocol_config) then the whole body (end_of_stream=true), for h2load.
   */
  static List<ProcessingRequest> bufferedRequest(String path, String model, int bodyBytes) {
    byte[] body = ChatBodies.chatRequest(model, bodyBytes);
    HeaderMap.Builder map = HeaderMap.newBuilder();
    add(map, ":authority", "ai-gateway.local");
    add(map, ":path", path);
    add(map, ":method", "POST");
    add(map, ":scheme", "http");
    add(map, "content-type", "application/json");
    add(map, "content-length", Integer.toString(body.length));
    add(map, "user-agent", "payload-processor-load/1");
    add(map, "x-request-id", "00000000-0000-4000-8000-000000000000");
    ProcessingRequest headers =
        ProcessingRequest.newBuilder()
            .setRequestHeaders(HttpHeaders.newBuilder().setHeaders(map).setEndOfStream(false))
            .setMetadataContext(NO_METADATA)
            .setProtocolConfig(
                ProtocolConfiguration.newBuilder().setRequestBodyMode(BodySendMode.BUFFERED))
            .build();
    ProcessingRequest bodyMessage =
        ProcessingRequest.newBuilder()
            .setRequestBody(
                HttpBody.newBuilder().setBody(ByteString.copyFrom(body)).setEndOfStream(true))
            .setMetadataContext(NO_METADATA)
            .build();
    return List.of(headers, bodyMessage);
  }

  private static byte[] chatRequest(LoadSettings settings) {
    return ChatBodies.chatRequest(settings.model(), settings.bodyBytes());
  }

  private static HeaderMap requestHeaderMap(LoadSettings settings, int bodyLength) {
    HeaderMap.Builder map = HeaderMap.newBuilder();
    add(map, ":authority", "ai-gateway.local");
    add(map, ":path", settings.path());
    add(map, ":method", settings.headersOnly() ? "GET" : "POST");
    add(map, ":scheme", "http");
    if (!settings.headersOnly()) {
      add(map, "content-type", "application/json");
      add(map, "content-length", Integer.toString(bodyLength));
    }
    add(map, "user-agent", "payload-processor-load/1");
    add(map, "x-forwarded-proto", "http");
    return map.build();
  }

  private static void add(HeaderMap.Builder map, String key, String value) {
    map.addHeaders(header(key, value));
  }

  private static HeaderValue header(String key, String value) {
    return HeaderValue.newBuilder()
        .setKey(key)
        .setRawValue(ByteString.copyFrom(value, StandardCharsets.UTF_8))
        .build();
  }

  private static String requestId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return new java.util.UUID(random.nextLong(), random.nextLong()).toString();
  }
}
