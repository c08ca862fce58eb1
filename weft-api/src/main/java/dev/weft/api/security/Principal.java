package dev.weft.api.security;

import java.util.Objects;

/**
 * Who made a request, as far as the config API knows: the name a token file gives a token (never
 * the token itself, so it is safe to log) and the token's role.
 */
public record Principal(String name, Role role) {
  /** The caller on a loopback listener that requires no token: trusted as a local user. */
  public static final Principal LOCAL = new Principal("local", Role.READ_WRITE);

  public Principal {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(role, "role");
  }
}
