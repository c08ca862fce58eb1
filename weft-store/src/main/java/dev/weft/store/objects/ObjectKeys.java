package dev.weft.store.objects;

import dev.weft.model.FqName;
import dev.weft.model.ObjectType;
import java.util.UUID;

/** Where objects live in the key space. */
public final class ObjectKeys {
  public static final String ROOT = "/weft/";
  public static final String OBJECTS = ROOT + "objects/";
  public static final String FQNAMES = ROOT + "fqnames/";

  private ObjectKeys() {}

  public static String object(ObjectType type, UUID uuid) {
    return OBJECTS + type.singular() + "/" + uuid;
  }

  public static String typePrefix(ObjectType type) {
    return OBJECTS + type.singular() + "/";
  }

  public static String fqName(ObjectType type, FqName fqName) {
    return FQNAMES + type.singular() + "/" + fqName;
  }

  /** Parses an object key back into its type; null when the key is not an object key. */
  static ObjectType typeOf(String key) {
    if (!key.startsWith(OBJECTS)) {
      return null;
    }
    int slash = key.indexOf('/', OBJECTS.length());
    if (slash < 0) {
      return null;
    }
    return ObjectType.bySingular(key.substring(OBJECTS.length(), slash)).orElse(null);
  }
}
