package io.payloadprocessor.server.admin;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The admin HTTP endpoint: {@code /metrics} (Prometheus text format), {@code /healthz} (the process
 * is up) and {@code /readyz} (warmed up and not draining: 200, else 503). Uses the JDK's built-in
 * HTTP server: three tiny endpoints do not justify another server dependency.
 */
public final class AdminServer implements AutoCloseable {
  private final HttpServer http;

  public AdminServer(String address, int port, PrometheusRegistry registry, BooleanSupplier ready)
      throws IOException {
    http = HttpServer.create(new InetSocketAddress(address, port), 16);
    PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
    http.createContext(
        "/metrics",
        ex -> {
          ByteArrayOutputStream buf = new ByteArrayOutputStream();
          writer.write(buf, registry.scrape());
          respond(ex, 200, writer.getContentType(), buf.toByteArray());
        });
    http.createContext("/healthz", ex -> respond(ex, 200, "text/plain", bytes("ok\n")));
    http.createContext(
        "/readyz",
        ex -> {
          boolean r = ready.getAsBoolean();
          respond(ex, r ? 200 : 503, "text/plain", bytes(r ? "ready\n" : "not ready\n"));
        });
    http.setExecutor(
        Executors.newSingleThreadExecutor(
            t -> {
              Thread th = new Thread(t, "admin-http");
              th.setDaemon(true);
              return th;
            }));
    http.start();
  }

  public int port() {
    return http.getAddress().getPort();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void respond(HttpExchange ex, int status, String type, byte[] body)
      throws IOException {
    ex.getResponseHeaders().set("content-type", type);
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(body);
    }
  }

  @Override
  public void close() {
    http.stop(0);
  }
}
