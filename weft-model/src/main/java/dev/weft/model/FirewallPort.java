package dev.weft.model;

import java.util.Objects;

/**
 * A port of a firewall rule: a protocol with a port number (a range up to {@code endPort}), a port
 * name (resolved on each destination pod against the ports its containers declare), or no port
 * (every port of the protocol).
 *
 * @param port null for every port, or when {@code name} is given
 * @param name null unless the port is named
 * @param endPort null, or the last port of a range starting at {@code port}
 */
public record FirewallPort(Protocol protocol, Integer port, String name, Integer endPort) {
  public FirewallPort {
    Objects.requireNonNull(protocol, "protocol");
    if (port != null && name != null) {
      throw new IllegalArgumentException("a port is a number or a name, not both");
    }
    if (port != null) {
      PortRange.of(port);
    }
    if (endPort != null) {
      if (port == null) {
        throw new IllegalArgumentException("endPort needs a numeric port");
      }
      PortRange.of(endPort);
      if (endPort < port) {
        throw new IllegalArgumentException("endPort " + endPort + " is below port " + port);
      }
    }
  }

  /** Whether {@code p}/{@code number} on a destination declaring {@code declared} matches. */
  public boolean matches(Protocol p, int number, java.util.List<ContainerPort> declared) {
    if (p != protocol) {
      return false;
    }
    if (name != null) {
      for (ContainerPort c : declared) {
        if (c.name().equals(name) && c.protocol() == protocol && c.port() == number) {
          return true;
        }
      }
      return false;
    }
    if (port == null) {
      return true;
    }
    return number >= port && number <= (endPort == null ? port : endPort);
  }

  @Override
  public String toString() {
    String what =
        name != null
            ? name
            : port == null ? "any" : endPort == null ? port.toString() : port + "-" + endPort;
    return what + "/" + protocol.name();
  }
}
