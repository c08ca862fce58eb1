package dev.weft.dataplane;

import dev.weft.model.Protocol;
import java.util.Objects;
import java.util.UUID;

/**
 * A packet leaving an interface: where it enters the vRouter, and its 5-tuple. Ports are 0 for
 * ICMP.
 */
public record Packet(
    UUID sourceInterface,
    Protocol protocol,
    String source,
    int sourcePort,
    String destination,
    int destinationPort) {
  public Packet {
    Objects.requireNonNull(sourceInterface, "sourceInterface");
    Objects.requireNonNull(protocol, "protocol");
    if (protocol == Protocol.ANY) {
      throw new IllegalArgumentException("a packet has one protocol, not any");
    }
  }

  /** The same flow seen from the other end. */
  public Packet reply(UUID fromInterface) {
    return new Packet(fromInterface, protocol, destination, destinationPort, source, sourcePort);
  }

  /** {@code tcp 10.32.0.5:49152 -> 10.32.0.9:80}. */
  public String describe() {
    return protocol.wire()
        + " "
        + address(source)
        + ":"
        + sourcePort
        + " -> "
        + address(destination)
        + ":"
        + destinationPort;
  }

  private static String address(String a) {
    return a != null && a.indexOf(':') >= 0 ? "[" + a + "]" : String.valueOf(a);
  }
}
