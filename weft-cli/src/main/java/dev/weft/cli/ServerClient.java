package dev.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Talks JSON to a running Weft's API ({@code --server}). */
final class ServerClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final URI base;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

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
    String s = server.endsWith("/") ? server.substring(0, server.length() - 1) : server;
    this.base = URI.create(s);
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

  static String encode(String v) {
    return URLEncoder.encode(v, StandardCharsets.UTF_8);
  }

  private JsonNode send(HttpRequest.Builder request) throws IOException, ApiError {
    HttpResponse<String> response;
    try {
      response =
          http.send(
              request.timeout(Duration.ofMinutes(2)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (ConnectException e) {
      throw new IOException(
          "cannot reach Weft at " + base + " (is `weft up` running? use --server URL)", e);
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
      throw new ApiError(response.statusCode(), message);
    }
    return body;
  }
}
