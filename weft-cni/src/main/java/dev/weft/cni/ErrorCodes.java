package dev.weft.cni;

/**
 * The error codes of CNI results, as the plugin prints them and the agent answers them over its
 * socket (weft-cni/PROTOCOL.md): the CNI spec's well-known codes, and Weft's own from 100.
 */
public final class ErrorCodes {
  private ErrorCodes() {}

  /** Incompatible CNI version. */
  public static final int INCOMPATIBLE_VERSION = 1;

  /** Unsupported field in the network configuration. */
  public static final int UNSUPPORTED_FIELD = 2;

  /** Container unknown or does not exist. */
  public static final int UNKNOWN_CONTAINER = 3;

  /** Invalid necessary environment variables (CNI_COMMAND, CNI_ARGS, CNI_NETNS, ...). */
  public static final int INVALID_ENVIRONMENT = 4;

  /** I/O failure: a command run for the request failed. */
  public static final int IO_FAILURE = 5;

  /** Failed to decode content (stdin, or a request on the agent's socket). */
  public static final int DECODE_FAILURE = 6;

  /** Invalid network configuration. */
  public static final int INVALID_CONFIG = 7;

  /** Try again later. */
  public static final int TRY_AGAIN_LATER = 11;

  /** The plugin is not available: the agent has not synced or not yet programmed its node. */
  public static final int NOT_AVAILABLE = 50;

  /** Weft's own: the pod's interface was not allocated on this node within the bound. */
  public static final int NOT_ALLOCATED = 100;

  /** Weft's own: the pod is bound to another node. */
  public static final int OTHER_NODE = 101;

  /** A bug in the plugin (libcni's ErrInternal). */
  public static final int INTERNAL = 999;
}
