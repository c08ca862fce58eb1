package dev.weft.agent.cni;

/**
 * A CNI request failed with one of the protocol's codes (the CNI spec's, and Weft's own 100 and
 * 101): {@code msg} short, {@code details} what a person can act on.
 */
public final class CniException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Incompatible CNI version. */
  public static final int INCOMPATIBLE_VERSION = 1;

  /** A container unknown or that does not exist. */
  public static final int UNKNOWN_CONTAINER = 3;

  /** Invalid necessary environment variables (CNI_ARGS, CNI_NETNS, ...). */
  public static final int INVALID_ENVIRONMENT = 4;

  /** An I/O failure: a command the agent ran failed. */
  public static final int IO_FAILURE = 5;

  /** The request could not be decoded. */
  public static final int DECODING_FAILURE = 6;

  /** Invalid network configuration. */
  public static final int INVALID_CONFIG = 7;

  /** Try again later. */
  public static final int TRY_AGAIN_LATER = 11;

  /** The plugin is not available: the agent is not yet synced or the node not yet programmed. */
  public static final int NOT_AVAILABLE = 50;

  /** Weft's own: the pod's interface was not allocated within the bound. */
  public static final int NOT_ALLOCATED = 100;

  /** Weft's own: the pod is bound to another node. */
  public static final int OTHER_NODE = 101;

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
