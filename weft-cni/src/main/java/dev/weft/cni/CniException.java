package dev.weft.cni;

/**
 * A CNI error: the spec's numeric code ({@link ErrorCodes}), a short message and details a person
 * can act on. Printed as the CNI error result on stdout.
 */
public final class CniException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int code;
  private final String details;

  public CniException(int code, String msg, String details) {
    super(msg);
    this.code = code;
    this.details = details == null ? "" : details;
  }

  /** The CNI error code. */
  public int code() {
    return code;
  }

  /** The short message ({@code msg} in the error result). */
  public String msg() {
    return getMessage();
  }

  /** What a person can act on ({@code details} in the error result); never null. */
  public String details() {
    return details;
  }
}
