package dev.weft.store.ipam;

/** A floating IP cannot be given its address, and why, so callers can answer in their own terms. */
public final class FloatingIpException extends IpamException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Kind {
    /** The pool's network is gone. */
    NETWORK_GONE,
    /** The pool's network has no subnets, so the pool has no addresses. */
    NO_SUBNETS,
    /** The requested address is not inside the pool. */
    OUTSIDE_POOL,
    /** The requested address is a subnet's network, gateway or broadcast address. */
    SPECIAL_ADDRESS,
    /** The requested address is held by someone else. */
    IN_USE,
    /** No address is free in the pool. */
    EXHAUSTED
  }

  private final Kind kind;

  public FloatingIpException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
