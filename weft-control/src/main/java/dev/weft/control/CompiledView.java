package dev.weft.control;

import dev.weft.control.policy.PolicyView;
import dev.weft.model.FqName;
import dev.weft.model.Protocol;
import java.util.Collection;
import java.util.List;
import java.util.SortedMap;
import java.util.UUID;

/**
 * The compiled forwarding state at one store revision; valid only inside {@link Compiler#read}.
 * Collections it returns are read-only views of that state: copy what must outlive the read.
 */
public interface CompiledView {
  /** The store revision every change up to which is compiled in. */
  long revision();

  /** Null if no such interface is known. */
  Endpoint endpoint(UUID interfaceUuid);

  Collection<Endpoint> endpoints();

  /** Null if no such network exists. */
  Vrf vrf(FqName network);

  Collection<? extends Vrf> vrfs();

  /**
   * The service next hop of a load balancer, whether or not any route leads to it yet.
   *
   * @param loadbalancer the load balancer's UUID (a Kubernetes service's UID)
   * @return null if no such load balancer exists
   */
  NextHop.Service service(UUID loadbalancer);

  /**
   * The addresses of the floating IPs that front a load balancer (a LoadBalancer service's
   * addresses and external IPs), each a host route to {@link #service} in its pool's network, in
   * address order (IPv4 first, numerically). Whether a gateway reaches one depends on its network's
   * route targets; whether the route is the service's, on {@code reroute}'s precedence (an
   * interface claiming the same address wins).
   *
   * @return empty if none, or if the load balancer does not exist
   */
  List<String> floatingIps(UUID loadbalancer);

  /**
   * What every node does with {@code protocol}/{@code port} arriving on its own address. Should two
   * load balancers claim one node port (Kubernetes prevents it), the first by load balancer UUID,
   * in its text form, has it, whatever order they came in.
   *
   * @return null: no service has that node port
   */
  NodePort nodePort(Protocol protocol, int port);

  /** Every node port, in protocol then port order. */
  Collection<NodePort> nodePorts();

  /**
   * The node addresses a node port is reachable on: node name (its vRouter's name) to the node's
   * address (its InternalIP), in node name order; a node that reports no address is left out.
   */
  SortedMap<String, String> nodeAddresses();

  /**
   * Kubernetes NetworkPolicy as compiled: what each pod's policies let it send and receive, and
   * why; the groups and bindings an agent programs.
   */
  PolicyView policies();

  /**
   * The node whose address {@code address} is; when two report one address, the first by name.
   *
   * @return null: no node has it
   */
  String nodeAt(String address);
}
