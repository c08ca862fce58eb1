package dev.weft.control;

import java.util.List;
import java.util.UUID;

/** Where a route sends a packet. */
public sealed interface NextHop {

  /** One interface, on the node whose vRouter holds it ({@code node} null: not placed yet). */
  record Interface(UUID interfaceUuid, String node, String nodeAddress) implements NextHop {}

  /**
   * Several interfaces, one chosen per flow by a hash of the 5-tuple (a service VIP on every
   * backend interface, or an address claimed by several interfaces of one network). Members are in
   * a stable order (interface UUID order) so that a hash picks the same member on every node.
   */
  record Ecmp(List<Interface> members) implements NextHop {
    public Ecmp {
      members = List.copyOf(members);
    }
  }
}
