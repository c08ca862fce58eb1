package dev.weft.store.ipam;

/** An address cannot be given: the pool is exhausted, or a requested address is unusable. */
public class IpamException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public IpamException(String message) {
    super(message);
  }
}
