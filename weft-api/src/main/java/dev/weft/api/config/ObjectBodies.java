package dev.weft.api.config;

import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.ObjectType;
import dev.weft.model.Ref;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.ObjectCodec;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.Stored;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Turns a REST body ({@code {"virtual-network": {...}}}) into a record, strictly: unknown fields
 * are errors that name the field. Fills what Contrail clients may leave out: the UUID (generated),
 * the parent (from the FQ name), and either half of a reference ({@code uuid} or {@code to}).
 *
 * <p>The read-only fields the GET view adds ({@code href}, back references, children) are dropped,
 * so an object read with GET can be sent back with PUT.
 */
final class ObjectBodies {
  private final ObjectCache cache;
  private final ObjectCodec codec;
  private final ObjectMapper json;

  ObjectBodies(ObjectStore store) {
    this.cache = store.cache();
    this.codec = store.codec();
    this.json = store.codec().mapper();
  }

  /** The parent type a user object needs, or empty for types users cannot write. */
  static Optional<ObjectType> parentType(ObjectType type) {
    return switch (type) {
      case VIRTUAL_NETWORK, NETWORK_POLICY -> Optional.of(ObjectType.PROJECT);
      case FLOATING_IP_POOL -> Optional.of(ObjectType.VIRTUAL_NETWORK);
      case FLOATING_IP -> Optional.of(ObjectType.FLOATING_IP_POOL);
      default -> Optional.empty();
    };
  }

  /** The fields inside {@code {"virtual-network": {...}}}; 400 for any other shape. */
  static ObjectNode unwrap(ObjectType type, JsonNode body) {
    String expected = "{\"" + type.singular() + "\": {...}}";
    if (body == null || !body.isObject()) {
      throw ApiException.badRequest("the body must be a JSON object " + expected);
    }
    if (body.size() != 1 || !body.has(type.singular())) {
      List<String> names = new java.util.ArrayList<>();
      body.fieldNames().forEachRemaining(names::add);
      String found = names.isEmpty() ? "an empty object" : "fields " + String.join(", ", names);
      if (names.size() == 1 && ObjectType.bySingular(names.get(0)).isPresent()) {
        throw ApiException.badRequest(
            "the body holds a "
                + names.get(0)
                + " but this is the "
                + type.singular()
                + " endpoint; the type of an object cannot change");
      }
      throw ApiException.badRequest("the body must be " + expected + ", found " + found);
    }
    JsonNode inner = body.get(type.singular());
    if (!inner.isObject()) {
      throw ApiException.badRequest(
          "\"" + type.singular() + "\" must be a JSON object, found " + inner.getNodeType());
    }
    return (ObjectNode) inner.deepCopy();
  }

  /** A new object from {@code fields}: UUID generated when absent, FQ name required. */
  ConfigObject forCreate(ObjectType type, ObjectNode fields) {
    stripReadOnly(type, fields);
    if (!fields.hasNonNull("fq_name")) {
      throw ApiException.badRequest(
          "fq_name is required, such as "
              + example(type)
              + " (the parent's FQ name followed by the new name)");
    }
    FqName fqName = fqName(fields.get("fq_name"));
    if (!fields.hasNonNull("uuid")) {
      fields.put("uuid", UUID.randomUUID().toString());
    }
    if (!fields.hasNonNull("parent")) {
      parentType(type).ifPresent(pt -> fields.set("parent", parentRef(type, pt, fqName)));
    }
    return decode(type, fields);
  }

  /** A replacement of {@code existing}: UUID, FQ name and parent default to and must equal its. */
  ConfigObject forReplace(ObjectType type, ConfigObject existing, ObjectNode fields) {
    stripReadOnly(type, fields);
    if (fields.hasNonNull("uuid")
        && !fields.get("uuid").asText().equals(existing.uuid().toString())) {
      throw ApiException.badRequest(
          "uuid "
              + fields.get("uuid").asText()
              + " in the body does not match "
              + existing.uuid()
              + " in the path; the uuid of an object cannot change");
    }
    fields.put("uuid", existing.uuid().toString());
    if (fields.hasNonNull("fq_name")) {
      FqName given = fqName(fields.get("fq_name"));
      if (!given.equals(existing.fqName())) {
        throw ApiException.badRequest(
            "fq_name "
                + given
                + " differs from "
                + existing.fqName()
                + "; the FQ name of an object cannot change (create a new object instead)");
      }
    } else {
      fields.set("fq_name", json.valueToTree(existing.fqName()));
    }
    if (!fields.hasNonNull("parent") && existing.parent() != null) {
      fields.set("parent", json.valueToTree(existing.parent()));
    }
    return decode(type, fields);
  }

  private static String example(ObjectType type) {
    return switch (type) {
      case VIRTUAL_NETWORK -> "[\"default-domain\", \"k8s-default\", \"vn-1\"]";
      case NETWORK_POLICY -> "[\"default-domain\", \"k8s-default\", \"np-1\"]";
      case FLOATING_IP_POOL -> "[\"default-domain\", \"k8s-default\", \"vn-1\", \"pool-1\"]";
      case FLOATING_IP -> "[\"default-domain\", \"k8s-default\", \"vn-1\", \"pool-1\", \"fip-1\"]";
      default -> "[\"default-domain\", \"project\", \"name\"]";
    };
  }

  private FqName fqName(JsonNode node) {
    if (!node.isArray() || node.isEmpty()) {
      throw ApiException.badRequest(
          "fq_name must be a non-empty list of strings, found " + node.toString());
    }
    List<String> parts = new java.util.ArrayList<>();
    for (JsonNode p : node) {
      if (!p.isTextual()) {
        throw ApiException.badRequest("fq_name must be a list of strings, found " + node);
      }
      parts.add(p.asText());
    }
    try {
      return new FqName(parts);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("fq_name " + node + ": " + e.getMessage());
    }
  }

  private JsonNode parentRef(ObjectType type, ObjectType parentType, FqName fqName) {
    FqName parentName = fqName.parentName();
    if (parentName == null) {
      throw ApiException.badRequest(
          "fq_name "
              + fqName
              + " has no parent part; a "
              + Nouns.noun(type)
              + " lives in a "
              + Nouns.noun(parentType)
              + ", such as "
              + example(type));
    }
    ConfigObject parent =
        cache
            .<ConfigObject>get(parentType, parentName)
            .map(Stored::object)
            .orElseThrow(
                () ->
                    ApiException.notFound(
                        Nouns.noun(parentType)
                            + " "
                            + parentName
                            + " does not exist, so "
                            + fqName
                            + " has no parent"));
    return json.valueToTree(Ref.to(parent));
  }

  /** Drops what the GET view adds and what a record reports but cannot read back. */
  private static void stripReadOnly(ObjectType type, ObjectNode fields) {
    Set<String> own = new java.util.HashSet<>();
    for (var component : type.recordClass().getRecordComponents()) {
      own.add(component.getName().replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT));
    }
    Set<String> viewOnly = new java.util.HashSet<>(Set.of("href"));
    for (ObjectType t : ObjectType.values()) {
      viewOnly.add(ObjectViews.backRefsKey(t));
      viewOnly.add(ObjectViews.childrenKey(t));
    }
    viewOnly.removeAll(own);
    viewOnly.forEach(fields::remove);
  }

  private ConfigObject decode(ObjectType type, ObjectNode fields) {
    completeRefs(fields, "");
    try {
      return codec.decodeStrict(type.recordClass(), fields);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(type.singular() + ": " + explain(e));
    }
  }

  /** Fills the missing half of every {@code {"type", "uuid", "to"}} reference in the tree. */
  private void completeRefs(JsonNode node, String path) {
    if (node instanceof ObjectNode object) {
      if (isRef(object)) {
        completeRef(object, path);
        return;
      }
      for (Map.Entry<String, JsonNode> e : object.properties()) {
        completeRefs(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey());
      }
    } else if (node instanceof ArrayNode array) {
      for (int i = 0; i < array.size(); i++) {
        completeRefs(array.get(i), path + "[" + i + "]");
      }
    }
  }

  private static boolean isRef(ObjectNode object) {
    if (!object.path("type").isTextual()
        || ObjectType.bySingular(object.get("type").asText()).isEmpty()) {
      return false;
    }
    Iterator<String> names = object.fieldNames();
    while (names.hasNext()) {
      if (!Set.of("type", "uuid", "to").contains(names.next())) {
        return false;
      }
    }
    return object.hasNonNull("uuid") || object.hasNonNull("to");
  }

  private void completeRef(ObjectNode ref, String path) {
    ObjectType type = ObjectType.fromSingular(ref.get("type").asText());
    if (ref.hasNonNull("uuid")) {
      UUID uuid;
      try {
        uuid = UUID.fromString(ref.get("uuid").asText());
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest(
            path + ".uuid: \"" + ref.get("uuid").asText() + "\" is not a UUID");
      }
      Optional<Stored<ConfigObject>> target = cache.get(uuid);
      if (target.isEmpty()) {
        return; // validation reports the dangling reference with its context
      }
      ConfigObject object = target.get().object();
      if (!ref.hasNonNull("to")) {
        ref.set("to", json.valueToTree(object.fqName()));
      } else if (!fqName(ref.get("to")).equals(object.fqName())) {
        throw ApiException.badRequest(
            path
                + ": the reference names "
                + fqName(ref.get("to"))
                + " but uuid "
                + uuid
                + " is the "
                + Nouns.describe(object));
      }
    } else {
      FqName to = fqName(ref.get("to"));
      ConfigObject object =
          cache
              .<ConfigObject>get(type, to)
              .map(Stored::object)
              .orElseThrow(
                  () ->
                      ApiException.notFound(
                          path + ": " + Nouns.noun(type) + " " + to + " does not exist"));
      ref.put("uuid", object.uuid().toString());
    }
  }

  /** A decoding failure as one line naming the field at fault. */
  static String explain(IllegalArgumentException e) {
    if (!(e.getCause() instanceof JsonMappingException jme)) {
      return e.getMessage();
    }
    String path = path(jme.getPath());
    if (jme instanceof UnrecognizedPropertyException upe) {
      Set<String> known = new TreeSet<>();
      if (upe.getKnownPropertyIds() != null) {
        upe.getKnownPropertyIds().forEach(k -> known.add(String.valueOf(k)));
      }
      return "unknown field \""
          + path
          + "\""
          + (known.isEmpty() ? "" : "; expected one of: " + String.join(", ", known));
    }
    Throwable root = jme;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    if (root instanceof NullPointerException) {
      return "field \"" + (path.isEmpty() ? "" : path + ".") + root.getMessage() + "\" is required";
    }
    String where = path.isEmpty() ? "" : path + ": ";
    if (root instanceof IllegalArgumentException) {
      return where + root.getMessage();
    }
    return where + jme.getOriginalMessage();
  }

  private static String path(List<JsonMappingException.Reference> refs) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : refs) {
      if (r.getFieldName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }
}
