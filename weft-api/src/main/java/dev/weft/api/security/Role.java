package dev.weft.api.security;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What a token may do: {@link #READ_ONLY} reads (and asks read-only questions such as {@code
 * /fqname-to-id}), {@link #READ_WRITE} also changes objects. Two roles are enough for a config API
 * whose writes all carry the same weight; finer grants belong to Kubernetes RBAC, not here.
 */
public enum Role {
  READ_ONLY("read-only"),
  READ_WRITE("read-write");

  private final String wire;

  Role(String wire) {
    this.wire = wire;
  }

  /** The name used in token files and messages, such as {@code read-only}. */
  public String wire() {
    return wire;
  }

  /** Whether a holder of this role may do what {@code needed} allows. */
  public boolean allows(Role needed) {
    return this == READ_WRITE || needed == READ_ONLY;
  }

  /** The role named {@code text} in a token file, case-insensitively. */
  public static Optional<Role> parse(String text) {
    String t = text.toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(r -> r.wire.equals(t)).findFirst();
  }

  @Override
  public String toString() {
    return wire;
  }
}
