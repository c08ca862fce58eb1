package dev.weft.model;

import java.util.Objects;

/** A virtual network's reference to a network policy, applied in {@code sequence} order. */
public record PolicyLink(Ref policy, int sequence) {
  public PolicyLink {
    Objects.requireNonNull(policy, "policy");
  }
}
