package dev.weft.control;

import dev.weft.model.FqName;
import dev.weft.model.Protocol;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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

  /**
   * A protocol and port a service listens on (or a node port), ordered by protocol then port so
   * that listings and tie-breaks are the same on every node.
   */
  record ServicePort(Protocol protocol, int port) implements Comparable<ServicePort> {
    public ServicePort {
      Objects.requireNonNull(protocol, "protocol");
    }

    @Override
    public int compareTo(ServicePort o) {
      int c = protocol.compareTo(o.protocol);
      return c != 0 ? c : Integer.compare(port, o.port);
    }

    @Override
    public String toString() {
      return port + "/" + protocol.name();
    }
  }

  /**
   * A service: per listener (protocol and port), the ready backends as an ECMP group, each with the
   * address and target port the receiving vRouter translates to. A port with no listener is
   * dropped; a listener with no ready backend too. It is the next hop of the load balancer's VIP
   * route, of the route of every floating IP that fronts the load balancer (a LoadBalancer
   * service's address, an external IP), and of every node port of its listeners ({@link NodePort}).
   *
   * @param loadbalancerUuid the load balancer's UUID: a Kubernetes service's UID, so that a caller
   *     holding a service finds its hop ({@link CompiledView#service})
   * @param loadbalancer the load balancer's FQ name, for people
   * @param nodePorts the node port of each listener that has one (a NodePort or LoadBalancer
   *     service's {@code nodePort}); a subset of {@code listeners}' keys
   */
  record Service(
      UUID loadbalancerUuid,
      FqName loadbalancer,
      Map<ServicePort, List<Interface>> listeners,
      Map<ServicePort, Integer> nodePorts)
      implements NextHop {
    public Service {
      Objects.requireNonNull(loadbalancerUuid, "loadbalancerUuid");
      listeners = Map.copyOf(listeners);
      nodePorts = Map.copyOf(nodePorts);
      if (!listeners.keySet().containsAll(nodePorts.keySet())) {
        throw new IllegalArgumentException(
            "node ports " + nodePorts + " name a port with no listener " + listeners.keySet());
      }
    }

    /** A service reached on its VIP (and floating IPs) only: no node port. */
    public Service(
        UUID loadbalancerUuid, FqName loadbalancer, Map<ServicePort, List<Interface>> listeners) {
      this(loadbalancerUuid, loadbalancer, listeners, Map.of());
    }

    /** The ready backends of the listener on {@code protocol}/{@code port}; null: no listener. */
    public List<Interface> backends(Protocol protocol, int port) {
      return listeners.get(new ServicePort(protocol, port));
    }

    /** The node port of the listener on {@code port}; 0: none (or no such listener). */
    public int nodePort(ServicePort port) {
      Integer n = nodePorts.get(port);
      return n == null ? 0 : n;
    }
  }
}
