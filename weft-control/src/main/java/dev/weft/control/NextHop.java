package dev.weft.control;

import java.util.List;
import java.util.UUID;

/** Where a route sends a packet. */
public sealed interface NextHop {

  /**
   * One interface, on the node whose vRouter holds it ({@code node} null: not placed yet).
   *
   * @param translateTo null, or the address the receiving vRouter rewrites the destination to
   *     before delivering (destination NAT: a floating IP to the interface's own address)
   */
  record Interface(UUID interfaceUuid, String node, String nodeAddress, String translateTo)
      implements NextHop {
    public Interface(UUID interfaceUuid, String node, String nodeAddress) {
      this(interfaceUuid, node, nodeAddress, null);
    }
  }

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
