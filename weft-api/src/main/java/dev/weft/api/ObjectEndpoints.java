package dev.weft.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.api.config.ApiException;
import dev.weft.api.config.Nouns;
import dev.weft.api.config.ObjectViews;
import dev.weft.api.config.ObjectWrites;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.ObjectType;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.Stored;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Contrail's REST surface over the object store: {@code GET /}, {@code /healthz}, collections and
 * objects of every type, writes of user objects, and the FQ-name/UUID lookups.
 */
final class ObjectEndpoints {
  private final ObjectStore store;
  private final ObjectViews views;
  private final ObjectWrites writes;
  private final Supplier<String> authority;

  ObjectEndpoints(ObjectStore store, Ipam ipam, Supplier<String> authority) {
    this.store = store;
    this.views = new ObjectViews(store);
    this.writes = new ObjectWrites(store, ipam);
    this.authority = authority;
  }

  void register(Router router) {
    Endpoint.blocking(router.get("/"), this::index);
    Endpoint.blocking(router.get("/healthz"), ctx -> health());
    Endpoint.blocking(router.post("/fqname-to-id"), this::fqNameToId);
    Endpoint.blocking(router.post("/id-to-fqname"), this::idToFqName);
    for (ObjectType type : ObjectType.values()) {
      for (String plural : plurals(type)) {
        Endpoint.blocking(router.get("/" + plural), ctx -> list(ctx, type));
        Endpoint.blocking(router.post("/" + plural), ctx -> create(ctx, type));
      }
      String one = "/" + type.singular() + "/:uuid";
      Endpoint.blocking(router.get(one), ctx -> read(ctx, type));
      Endpoint.blocking(router.put(one), ctx -> replace(ctx, type));
      Endpoint.blocking(router.delete(one), ctx -> delete(ctx, type));
    }
  }

  /** The Contrail plural, and the plural people type when it differs (network-policies). */
  private static Set<String> plurals(ObjectType type) {
    Set<String> out = new LinkedHashSet<>();
    out.add(type.plural());
    if (type.singular().endsWith("y")) {
      out.add(type.singular().substring(0, type.singular().length() - 1) + "ies");
    }
    return out;
  }

  private String base(RoutingContext ctx) {
    return Http.base(ctx, authority.get());
  }

  private Reply index(RoutingContext ctx) {
    String base = base(ctx);
    ObjectNode out = Http.object();
    out.put("href", base);
    ArrayNode links = out.putArray("links");
    for (ObjectType type : ObjectType.values()) {
      ObjectNode link = links.addObject().putObject("link");
      link.put("rel", "collection");
      link.put("href", base + "/" + type.plural());
      link.put("name", type.singular());
    }
    for (String action : List.of("fqname-to-id", "id-to-fqname", "apply", "delete")) {
      ObjectNode link = links.addObject().putObject("link");
      link.put("rel", "action");
      link.put("href", base + "/" + action);
      link.put("name", action);
    }
    return Reply.ok(out);
  }

  private Reply health() {
    ObjectNode out = Http.object();
    out.put("status", "ok");
    out.put("revision", store.kv().revision());
    return Reply.ok(out);
  }

  private Reply list(RoutingContext ctx, ObjectType type) {
    Set<UUID> parents = new LinkedHashSet<>();
    for (String value : ctx.queryParam("parent_id")) {
      for (String part : value.split(",")) {
        if (!part.isBlank()) {
          parents.add(Http.uuid(part.trim()));
        }
      }
    }
    String fq = Http.query(ctx, "fq_name");
    FqName fqName = null;
    if (fq != null) {
      try {
        fqName = FqName.parse(fq);
      } catch (IllegalArgumentException e) {
        throw ApiException.badRequest("fq_name=" + fq + ": " + e.getMessage());
      }
    }
    return Reply.ok(views.collection(type, base(ctx), Http.flag(ctx, "detail"), parents, fqName));
  }

  private Reply read(RoutingContext ctx, ObjectType type) {
    Stored<ConfigObject> stored = views.require(type, Http.uuid(ctx.pathParam("uuid")));
    return withObject(200, stored, base(ctx));
  }

  private Reply withObject(int status, Stored<ConfigObject> stored, String base) {
    return Reply.of(status, views.single(stored.object(), base))
        .withHeader("ETag", Http.etag(stored.modRevision()));
  }

  private Reply create(RoutingContext ctx, ObjectType type) {
    Stored<ConfigObject> created = writes.create(type, Http.body(ctx));
    String base = base(ctx);
    return withObject(201, created, base)
        .withHeader("Location", ObjectViews.href(base, type, created.object().uuid()));
  }

  private Reply replace(RoutingContext ctx, ObjectType type) {
    UUID uuid = Http.uuid(ctx.pathParam("uuid"));
    Stored<ConfigObject> replaced = writes.replace(type, uuid, Http.body(ctx), Http.ifMatch(ctx));
    return withObject(200, replaced, base(ctx));
  }

  private Reply delete(RoutingContext ctx, ObjectType type) {
    UUID uuid = Http.uuid(ctx.pathParam("uuid"));
    ConfigObject deleted = writes.delete(type, uuid, Http.ifMatch(ctx));
    ObjectNode out = Http.object();
    out.put("result", "deleted");
    out.put("type", type.singular());
    out.set("fq_name", Http.mapper().valueToTree(deleted.fqName().parts()));
    out.put("uuid", deleted.uuid().toString());
    return Reply.ok(out);
  }

  private Reply fqNameToId(RoutingContext ctx) {
    JsonNode body = Http.body(ctx);
    requireFields(body, "{\"type\": \"virtual-network\", \"fq_name\": [...]}", "type", "fq_name");
    ObjectType type = type(body.get("type"));
    FqName fqName = fqName(body.get("fq_name"));
    ConfigObject object =
        store
            .cache()
            .<ConfigObject>get(type, fqName)
            .map(Stored::object)
            .orElseThrow(
                () -> ApiException.notFound(Nouns.noun(type) + " " + fqName + " does not exist"));
    ObjectNode out = Http.object();
    out.put("uuid", object.uuid().toString());
    return Reply.ok(out);
  }

  private Reply idToFqName(RoutingContext ctx) {
    JsonNode body = Http.body(ctx);
    requireFields(body, "{\"uuid\": \"...\"}", "uuid");
    if (!body.get("uuid").isTextual()) {
      throw ApiException.badRequest("uuid must be a string, found " + body.get("uuid"));
    }
    UUID uuid = Http.uuid(body.get("uuid").asText());
    ConfigObject object =
        store
            .cache()
            .get(uuid)
            .map(Stored::object)
            .orElseThrow(() -> ApiException.notFound("no object has uuid " + uuid));
    ObjectNode out = Http.object();
    out.put("type", object.type().singular());
    out.set("fq_name", Http.mapper().valueToTree(object.fqName().parts()));
    return Reply.ok(out);
  }

  private static void requireFields(JsonNode body, String shape, String... fields) {
    if (body == null || !body.isObject()) {
      throw ApiException.badRequest("the body must be " + shape);
    }
    List<String> allowed = Arrays.asList(fields);
    body.fieldNames()
        .forEachRemaining(
            name -> {
              if (!allowed.contains(name)) {
                throw ApiException.badRequest(
                    "unknown field \"" + name + "\"; the body must be " + shape);
              }
            });
    for (String field : fields) {
      if (!body.hasNonNull(field)) {
        throw ApiException.badRequest(field + " is required; the body must be " + shape);
      }
    }
  }

  private static ObjectType type(JsonNode node) {
    String name = node.asText();
    return ObjectType.bySingular(name)
        .or(() -> ObjectType.byPlural(name))
        .orElseThrow(
            () ->
                ApiException.badRequest(
                    "type \""
                        + name
                        + "\" is not an object type; types are "
                        + String.join(
                            ", ",
                            Arrays.stream(ObjectType.values())
                                .map(ObjectType::singular)
                                .toList())));
  }

  private static FqName fqName(JsonNode node) {
    try {
      if (node.isTextual()) {
        return FqName.parse(node.asText());
      }
      if (node.isArray()) {
        List<String> parts = new ArrayList<>();
        for (JsonNode p : node) {
          if (!p.isTextual()) {
            throw new IllegalArgumentException("parts must be strings");
          }
          parts.add(p.asText());
        }
        return new FqName(parts);
      }
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("fq_name " + node + ": " + e.getMessage());
    }
    throw ApiException.badRequest("fq_name must be a list of strings, found " + node);
  }
}
