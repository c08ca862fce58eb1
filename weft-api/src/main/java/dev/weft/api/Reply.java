package dev.weft.api;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/** An HTTP answer: status, JSON body and extra headers. */
record Reply(int status, JsonNode body, Map<String, String> headers) {
  Reply {
    headers = Map.copyOf(headers);
  }

  static Reply ok(JsonNode body) {
    return new Reply(200, body, Map.of());
  }

  static Reply of(int status, JsonNode body) {
    return new Reply(status, body, Map.of());
  }

  Reply withHeader(String name, String value) {
    Map<String, String> next = new LinkedHashMap<>(headers);
    next.put(name, value);
    return new Reply(status, body, next);
  }
}
