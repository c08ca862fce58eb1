package dev.weft.kube.translate;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Deterministic UUIDs for derived objects that have no Kubernetes UID of their own: the same intent
 * always yields the same UUID, so two managers (or one restarted mid-way) that create the same
 * object collide in the store instead of creating it twice.
 */
public final class Uuids {
  private Uuids() {}

  public static UUID of(String... parts) {
    return UUID.nameUUIDFromBytes(String.join("\u0000", parts).getBytes(StandardCharsets.UTF_8));
  }

  /** Parses a Kubernetes UID, which is a UUID; falls back to a name-based one if it is not. */
  public static UUID fromUid(String uid) {
    try {
      return UUID.fromString(uid);
    } catch (IllegalArgumentException e) {
      return of("k8s-uid", uid);
    }
  }
}
