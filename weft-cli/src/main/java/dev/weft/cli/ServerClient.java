package dev.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;

/**
 * Talks JSON to a running Weft's API ({@code --server}), over HTTP or HTTPS, with a bearer token
 * when one is given. A token is never sent in clear text beyond loopback, certificates are always
 * verified, and a request answered 429 is retried after the server's {@code Retry-After}.
 */
final class ServerClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int ATTEMPTS = 5;
  private static final long MAX_RETRY_AFTER_SECONDS = 30;
  private final URI base;
  private final String token;
  private final HttpClient http;

  /** A request the server refused, with its status and message. */
  static final class ApiError extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;

    ApiError(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  ServerClient(String server) {
    this(server, null, null);
  }

  /**
   * @param token the bearer token to send, or null for none
   * @param tls whom to trust for an {@code https://} server, or null for the JDK's trusted CAs
   * @throws IllegalArgumentException for a URL that is not http(s)://HOST[:PORT], trust for an
   *     http:// server, or a token that would cross the network in clear text
   */
  ServerClient(String server, String token, SSLContext tls) {
    String s = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
    URI uri;
    try {
      uri = URI.create(s);
    } catch (IllegalArgumentException e) {
      uri = null;
    }
    if (uri == null
        || uri.getHost() == null
        || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
      throw new IllegalArgumentException(
          "--server " + server + ": expected http://HOST:PORT or https://HOST:PORT");
    }
    boolean https = uri.getScheme().equals("https");
    if (tls != null && !https) {
      throw new IllegalArgumentException(
          "--ca-cert is for https:// servers, and --server " + server + " is http://");
    }
    if (token != null && !https && !isLoopback(uri.getHost())) {
      throw new IllegalArgumentException(
          "refusing to send a bearer token in clear text to "
              + server
              + "; use an https:// server (weft up --tls-cert/--tls-key)");
    }
    this.base = uri;
    this.token = token;
    HttpClient.Builder builder = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5));
    if (tls != null) {
      builder.sslContext(tls);
    }
    this.http = builder.build();
  }

  private static boolean isLoopback(String host) {
    String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
    try {
      for (InetAddress a : InetAddress.getAllByName(h)) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  JsonNode get(String path) throws IOException, ApiError {
    return send(HttpRequest.newBuilder(base.resolve(path)).GET());
  }

  JsonNode post(String path, JsonNode body) throws IOException, ApiError {
    return send(
        HttpRequest.newBuilder(base.resolve(path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
  }

  /** The server's Retry-After in seconds, within 1 to 30. */
  private static long retryAfterSeconds(HttpResponse<?> response) {
    long seconds;
    try {
      seconds = Long.parseLong(response.headers().firstValue("Retry-After").orElse("1").strip());
    } catch (NumberFormatException e) {
      seconds = 1; // an HTTP date: not something the config API sends
    }
    return Math.max(1, Math.min(MAX_RETRY_AFTER_SECONDS, seconds));
  }

  static String encode(String v) {
    return URLEncoder.encode(v, StandardCharsets.UTF_8);
  }

  private JsonNode send(HttpRequest.Builder request) throws IOException, ApiError {
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpRequest built = request.timeout(Duration.ofMinutes(2)).build();
    HttpResponse<String> response;
    try {
      for (int attempt = 1; ; attempt++) {
        response = http.send(built, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 429 || attempt == ATTEMPTS) {
          break;
        }
        Thread.sleep(retryAfterSeconds(response) * 1000); // the server asked this client to wait
      }
    } catch (ConnectException e) {
      throw new IOException(
          "cannot reach Weft at " + base + " (is `weft up` running? use --server URL)", e);
    } catch (SSLException e) {
      throw new IOException(
          "TLS with "
              + base
              + " failed: "
              + e.getMessage()
              + " (if its certificate is from a private CA or self-signed, give --ca-cert FILE)",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    JsonNode body;
    try {
      body = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
    } catch (IOException e) {
      throw new ApiError(
          response.statusCode(), "unexpected answer from " + base + ": " + response.body());
    }
    if (response.statusCode() >= 400) {
      String message = body.path("error").asText(body.path("message").asText(response.body()));
      if (response.statusCode() == 401 && token == null) {
        message += " (give --token-file FILE or set WEFT_TOKEN_FILE)";
      }
      throw new ApiError(response.statusCode(), message);
    }
    return body;
  }
}
