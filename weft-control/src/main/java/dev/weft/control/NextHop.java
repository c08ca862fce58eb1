package dev.weft.control;

import dev.weft.model.FqName;
import dev.weft.model.Protocol;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Where a route sends a packet. */
public sealed interface NextHop {

  /**
   * One interface, on the node whose vRouter holds it ({@code node} null: not placed yet).
   *
   * @param translateTo null, or the address the receiving vRouter rewrites the destination to
   *     before delivering (destination NAT: a floating IP, or a service VIP, to the interface's own
   *     address)
   * @param translatePort 0, or the port the destination port is rewritten to (a service's target
   *     port)
   */
  record Interface(
      UUID interfaceUuid, String node, String nodeAddress, String translateTo, int translatePort)
      implements NextHop {
    public Interface(UUID interfaceUuid, String node, String nodeAddress) {
      this(interfaceUuid, node, nodeAddress, null, 0);
    }

    public Interface(UUID interfaceUuid, String node, String nodeAddress, String translateTo) {
      this(interfaceUuid, node, nodeAddress, translateTo, 0);
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

  /** A protocol and port a service listens on. */
  record ServicePort(Protocol protocol, int port) {
    @Override
    public String toString() {
      return port + "/" + protocol.name();
    }
  }

  /**
   * A service VIP: per listener (protocol and port), the ready backends as an ECMP group, each with
   * the address and target port the receiving vRouter translates to. A port with no listener is
   * dropped; a listener with no ready backend too.
   */
  record Service(FqName loadbalancer, Map<ServicePort, List<Interface>> listeners)
      implements NextHop {
    public Service {
      listeners = Map.copyOf(listeners);
    }

    /** The ready backends of the listener on {@code protocol}/{@code port}; null: no listener. */
    public List<Interface> backends(Protocol protocol, int port) {
      return listeners.get(new ServicePort(protocol, port));
    }
  }
}
