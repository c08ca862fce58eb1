package dev.weft.api.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.ObjectType;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.ObjectCodec;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.Stored;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Contrail-shaped JSON views of stored objects: collection summaries ({@code href}, {@code
 * fq_name}, {@code uuid}) and full objects with {@code href}, back references grouped by referrer
 * type ({@code virtual_machine_interface_back_refs}) and children grouped by type ({@code
 * floating_ip_pools}). Reads the cache only; thread-safe.
 */
public final class ObjectViews {
  /** Orders objects the way every listing shows them: by FQ name, then UUID. */
  public static final Comparator<ConfigObject> ORDER =
      Comparator.comparing((ConfigObject o) -> o.fqName().toString())
          .thenComparing(ConfigObject::uuid);

  private final ObjectCache cache;
  private final ObjectCodec codec;
  private final ObjectMapper json;

  public ObjectViews(ObjectStore store) {
    this.cache = store.cache();
    this.codec = store.codec();
    this.json = store.codec().mapper();
  }

  /** {@code base/virtual-network/UUID}; {@code base} has no trailing slash. */
  public static String href(String base, ObjectType type, UUID uuid) {
    return base + "/" + type.singular() + "/" + uuid;
  }

  /** Key of the back-reference group holding referrers of {@code type}. */
  public static String backRefsKey(ObjectType type) {
    return type.singular().replace('-', '_') + "_back_refs";
  }

  /** Key of the child group holding children of {@code type}. */
  public static String childrenKey(ObjectType type) {
    return type.plural().replace('-', '_');
  }

  /** The object looked up by type and UUID, or a 404 that says what the UUID is instead. */
  public Stored<ConfigObject> require(ObjectType type, UUID uuid) {
    return cache
        .<ConfigObject>get(type, uuid)
        .orElseThrow(
            () -> {
              String actual =
                  cache.get(uuid).map(s -> "; it is the " + Nouns.describe(s.object())).orElse("");
              return ApiException.notFound("no " + type.singular() + " with uuid " + uuid + actual);
            });
  }

  /** {@code {"href", "fq_name", "uuid"}}. */
  public ObjectNode summary(ConfigObject object, String base) {
    ObjectNode out = json.createObjectNode();
    out.put("href", href(base, object.type(), object.uuid()));
    out.set("fq_name", json.valueToTree(object.fqName()));
    out.put("uuid", object.uuid().toString());
    return out;
  }

  /** The full object with {@code href}, back references and children. */
  public ObjectNode detail(ConfigObject object, String base) {
    ObjectNode out = (ObjectNode) codec.toTree(object);
    out.put("href", href(base, object.type(), object.uuid()));
    group(out, cache.referrers(object.uuid()), base, ObjectViews::backRefsKey);
    group(out, cache.children(object.uuid()), base, ObjectViews::childrenKey);
    return out;
  }

  private void group(
      ObjectNode out,
      List<Stored<ConfigObject>> related,
      String base,
      java.util.function.Function<ObjectType, String> key) {
    Map<ObjectType, List<ConfigObject>> byType = new EnumMap<>(ObjectType.class);
    for (Stored<ConfigObject> s : related) {
      byType.computeIfAbsent(s.object().type(), t -> new java.util.ArrayList<>()).add(s.object());
    }
    byType.forEach(
        (type, objects) -> {
          ArrayNode array = out.putArray(key.apply(type));
          objects.stream()
              .sorted(ORDER)
              .forEach(
                  o -> {
                    ObjectNode ref = array.addObject();
                    ref.set("to", json.valueToTree(o.fqName()));
                    ref.put("href", href(base, o.type(), o.uuid()));
                    ref.put("uuid", o.uuid().toString());
                  });
        });
  }

  /**
   * {@code {"virtual-networks": [...]}}: summaries, or full objects when {@code detail}.
   *
   * @param parents keep only children of these parents; empty keeps all
   * @param fqName keep only the object with this FQ name; null keeps all
   */
  public ObjectNode collection(
      ObjectType type, String base, boolean detail, Set<UUID> parents, FqName fqName) {
    ObjectNode out = json.createObjectNode();
    ArrayNode array = out.putArray(type.plural());
    cache.<ConfigObject>list(type).stream()
        .map(Stored::object)
        .filter(
            o -> parents.isEmpty() || (o.parent() != null && parents.contains(o.parent().uuid())))
        .filter(o -> fqName == null || o.fqName().equals(fqName))
        .sorted(ORDER)
        .forEach(o -> array.add(detail ? detail(o, base) : summary(o, base)));
    return out;
  }

  /** {@code {"virtual-network": {...}}}. */
  public ObjectNode single(ConfigObject object, String base) {
    ObjectNode out = json.createObjectNode();
    out.set(object.type().singular(), detail(object, base));
    return out;
  }
}
