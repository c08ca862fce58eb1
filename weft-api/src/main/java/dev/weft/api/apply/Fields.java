package dev.weft.api.apply;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.api.config.ApiException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;
import java.util.function.Function;

/** Strict reading of one mapping of a document: every error names its path in the document. */
final class Fields {
  private final JsonNode node;
  private final String path;

  private Fields(JsonNode node, String path) {
    this.node = node;
    this.path = path;
  }

  /** The mapping at {@code path}; 400 when {@code node} is not one. */
  static Fields of(JsonNode node, String path) {
    if (node == null || !node.isObject()) {
      throw ApiException.badRequest(
          (path.isEmpty() ? "the document" : path)
              + " must be a mapping (JSON object), found "
              + describe(node));
    }
    return new Fields(node, path);
  }

  static String describe(JsonNode node) {
    if (node == null || node.isMissingNode()) {
      return "nothing";
    }
    return node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT) + " " + node;
  }

  /** 400 naming the first field not in {@code allowed}. */
  Fields allow(String... allowed) {
    Set<String> known = new TreeSet<>(List.of(allowed));
    Iterator<String> names = node.fieldNames();
    while (names.hasNext()) {
      String name = names.next();
      if (!known.contains(name)) {
        throw ApiException.badRequest(
            "unknown field \"" + path(name) + "\"; expected one of: " + String.join(", ", known));
      }
    }
    return this;
  }

  String path(String name) {
    return path.isEmpty() ? name : path + "." + name;
  }

  /** The value, or null when absent or null. */
  JsonNode get(String name) {
    JsonNode value = node.get(name);
    return value == null || value.isNull() ? null : value;
  }

  Optional<String> text(String name) {
    JsonNode value = get(name);
    if (value == null) {
      return Optional.empty();
    }
    if (!value.isValueNode() || value.isBoolean()) {
      throw ApiException.badRequest(path(name) + " must be a string, found " + describe(value));
    }
    return Optional.of(value.asText());
  }

  String requiredText(String name, String hint) {
    return text(name)
        .orElseThrow(() -> ApiException.badRequest(path(name) + " is required" + hint));
  }

  /** A list (a single value counts as a list of one); empty when absent. */
  List<JsonNode> list(String name) {
    JsonNode value = get(name);
    List<JsonNode> out = new ArrayList<>();
    if (value == null) {
      return out;
    }
    if (value.isArray()) {
      value.forEach(out::add);
    } else if (value.isValueNode()) {
      out.add(value);
    } else {
      throw ApiException.badRequest(path(name) + " must be a list, found " + describe(value));
    }
    return out;
  }

  /** Converts each element of a list, turning {@link IllegalArgumentException}s into 400s. */
  <T> List<T> list(String name, BiFunction<String, JsonNode, T> converter) {
    List<JsonNode> raw = list(name);
    List<T> out = new ArrayList<>(raw.size());
    for (int i = 0; i < raw.size(); i++) {
      String where = path(name) + "[" + i + "]";
      out.add(convert(where, raw.get(i), n -> converter.apply(where, n)));
    }
    return out;
  }

  /** Applies {@code convert}, reporting its {@link IllegalArgumentException} at {@code where}. */
  static <T> T convert(String where, JsonNode value, Function<JsonNode, T> converter) {
    try {
      return converter.apply(value);
    } catch (ApiException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(where + ": " + e.getMessage());
    }
  }
}
