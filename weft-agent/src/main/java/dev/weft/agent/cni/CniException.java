package dev.weft.agent.cni;

/**
 * A CNI request failed with one of the protocol's codes ({@link dev.weft.cni.ErrorCodes}: the CNI
 * spec's, and Weft's own): {@code msg} short, {@code details} what a person can act on.
 */
public final class CniException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int code;
  private final String details;

  public CniException(int code, String msg, String details) {
    super(msg);
    this.code = code;
    this.details = details == null ? "" : details;
  }

  public int code() {
    return code;
  }

  public String details() {
    return details;
  }
}
