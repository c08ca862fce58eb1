package dev.weft.cni;

/**
 * A CNI error: the spec's numeric code, a short message and details a person can act on. Printed as
 * the CNI error result on stdout.
 */
public final class CniException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Incompatible CNI version. */
  public static final int INCOMPATIBLE_VERSION = 1;

  /** Unsupported field in the network configuration. */
  public static final int UNSUPPORTED_FIELD = 2;

  /** Container unknown or does not exist. */
  public static final int UNKNOWN_CONTAINER = 3;

  /** Invalid necessary environment variables. */
  public static final int INVALID_ENVIRONMENT = 4;

  /** I/O failure. */
  public static final int IO_FAILURE = 5;

  /** Failed to decode content. */
  public static final int DECODE_FAILURE = 6;

  /** Invalid network config. */
  public static final int INVALID_CONFIG = 7;

  /** Try again later. */
  public static final int TRY_AGAIN_LATER = 11;

  /** A bug in the plugin (libcni's ErrInternal). */
  public static final int INTERNAL = 999;

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
