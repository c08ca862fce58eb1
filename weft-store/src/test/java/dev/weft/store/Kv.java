package dev.weft.store;

import java.nio.charset.StandardCharsets;

/**
 * A {@link KeyValue} with a string value and value equality, for assertions ({@code KeyValue} holds
 * a {@code byte[]}, whose equals is identity).
 */
public record Kv(String key, String value, long create, long mod, long version) {
  public static Kv of(KeyValue kv) {
    return kv == null
        ? null
        : new Kv(
            kv.key(),
            new String(kv.value(), StandardCharsets.UTF_8),
            kv.createRevision(),
            kv.modRevision(),
            kv.version());
  }
}
