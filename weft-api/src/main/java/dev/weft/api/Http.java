package dev.weft.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.api.config.ApiException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;

/** Request parsing and JSON responses shared by the endpoints. */
final class Http {
  static final String JSON = "application/json; charset=utf-8";

  /** Parses request bodies: duplicate keys and trailing garbage are errors, not ignored. */
  private static final ObjectMapper STRICT =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private static final ObjectMapper WRITER = new ObjectMapper();

  private Http() {}

  static ObjectNode object() {
    return WRITER.createObjectNode();
  }

  static ObjectMapper mapper() {
    return WRITER;
  }

  /** The request body as JSON; 400 when it is missing or not JSON. */
  static JsonNode body(RoutingContext ctx) {
    Buffer buffer = ctx.body().buffer();
    if (buffer == null || buffer.length() == 0) {
      throw ApiException.badRequest("the request needs a JSON body");
    }
    try {
      return STRICT.readTree(buffer.getBytes());
    } catch (JsonProcessingException e) {
      // The original message says what was wrong; the location where (never the body itself).
      String where =
          e.getLocation() == null || e.getLocation().getLineNr() < 1
              ? ""
              : " (line "
                  + e.getLocation().getLineNr()
                  + ", column "
                  + e.getLocation().getColumnNr()
                  + ")";
      throw ApiException.badRequest(
          "the body is not valid JSON: " + e.getOriginalMessage() + where);
    } catch (IOException e) {
      throw ApiException.badRequest("the body cannot be read: " + e.getMessage());
    }
  }

  /** {@code http://host:port} as the client addressed this server, for {@code href}s. */
  static String base(RoutingContext ctx, String fallbackAuthority) {
    HostAndPort authority = ctx.request().authority();
    String hostPort = fallbackAuthority;
    if (authority != null && authority.host() != null && !authority.host().isEmpty()) {
      String host = authority.host();
      if (host.indexOf(':') >= 0 && !host.startsWith("[")) {
        host = "[" + host + "]";
      }
      hostPort = authority.port() > 0 ? host + ":" + authority.port() : host;
    }
    return ctx.request().scheme() + "://" + hostPort;
  }

  static UUID uuid(String text) {
    try {
      UUID uuid = UUID.fromString(text);
      if (!uuid.toString().equalsIgnoreCase(text)) {
        throw new IllegalArgumentException();
      }
      return uuid;
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("\"" + text + "\" is not a UUID");
    }
  }

  /** The revision in {@code If-Match} (an ETag as this API hands them out), if any. */
  static OptionalLong ifMatch(RoutingContext ctx) {
    String header = ctx.request().getHeader("If-Match");
    if (header == null || header.isBlank() || header.trim().equals("*")) {
      return OptionalLong.empty();
    }
    String value = header.trim();
    if (value.startsWith("W/")) {
      value = value.substring(2);
    }
    value = value.replace("\"", "");
    try {
      return OptionalLong.of(Long.parseLong(value));
    } catch (NumberFormatException e) {
      throw ApiException.badRequest(
          "If-Match \"" + header + "\" is not an ETag this API handed out (a quoted revision)");
    }
  }

  static String etag(long revision) {
    return "\"" + revision + "\"";
  }

  /** The first value of query parameter {@code name}, or null. */
  static String query(RoutingContext ctx, String name) {
    List<String> values = ctx.queryParam(name);
    return values.isEmpty() ? null : values.get(0);
  }

  static boolean flag(RoutingContext ctx, String name) {
    String value = query(ctx, name);
    if (value == null) {
      return false;
    }
    return switch (value.toLowerCase(java.util.Locale.ROOT)) {
      case "true", "1", "yes", "" -> true;
      case "false", "0", "no" -> false;
      default ->
          throw ApiException.badRequest(
              "query parameter " + name + "=" + value + " is not true or false");
    };
  }

  static ObjectNode error(int status, String message) {
    ObjectNode out = object();
    out.put("error", message == null ? "error " + status : message);
    out.put("status", status);
    return out;
  }

  static void send(RoutingContext ctx, Reply reply) {
    HttpServerResponse response = ctx.response();
    if (response.ended() || response.closed()) {
      return;
    }
    byte[] bytes;
    try {
      bytes = WRITER.writeValueAsBytes(reply.body());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot encode a response", e);
    }
    response.setStatusCode(reply.status()).putHeader("Content-Type", JSON);
    reply.headers().forEach(response::putHeader);
    response.end(Buffer.buffer(bytes));
  }

  static void sendError(RoutingContext ctx, int status, String message) {
    send(ctx, Reply.of(status, error(status, message)));
  }
}
