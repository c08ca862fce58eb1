package dev.weft.cni;

import java.nio.file.Path;

/** The node's agent is not listening: its socket is missing or refuses connections. */
public final class AgentUnavailableException extends Exception {
  private static final long serialVersionUID = 1L;

  private final transient Path socket;

  AgentUnavailableException(Path socket, String why) {
    super(
        "the weft agent for this node is not running: cannot connect to "
            + socket
            + " ("
            + why
            + ")");
    this.socket = socket;
  }

  /** The socket we tried. */
  public Path socket() {
    return socket;
  }
}
