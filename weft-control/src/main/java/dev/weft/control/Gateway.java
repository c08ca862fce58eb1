package dev.weft.control;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The gateway router's side of the cluster, as the forwarding model and the Linux dataplane both
 * need it: its address on the underlay, which route it takes for an address (the routes of the
 * networks with route targets, as imported over MP-BGP), and how it and the nodes pick the
 * interface a flow from outside reaches. Contrail's way: the gateway sends a floating IP to one of
 * the nodes that host a next hop (ECMP over those nodes, by a hash of the flow), and that node
 * translates only to its own local next hops, so the reply leaves from the node that translated it
 * and the backend sees the outside host's own address ({@link #CLIENT4}, not the gateway's).
 */
public final class Gateway {
  /**
   * The gateway router's own address on the underlay (the nodes' L2, 10.64.0.0/24 where the
   * embedded cluster's nodes are 10.64.0.11, .12, ...): the next hop the nodes send what leaves the
   * cluster to. It is inside the nodes' subnet, so no flow from outside carries it as its source:
   * that is {@link #CLIENT4}.
   */
  public static final String ADDRESS4 = "10.64.0.1";

  /** The prefix length of the underlay subnet {@link #ADDRESS4} sits in. */
  public static final int PREFIX_LENGTH4 = 24;

  /**
   * The outside host of IPv4 flows, where {@code weft probe --from external} connections come from
   * and the source NetworkPolicy ipBlocks see: an address of RFC 5737's TEST-NET-1 (192.0.2.0/24),
   * so that it looks like the internet. A private address (the gateway's own, say) would be denied
   * by the usual "from the internet" ipBlock ({@code 0.0.0.0/0} except the RFC 1918 ranges) and
   * matched by ipBlocks meant for nodes. Not in 198.51.100.0/24 or 203.0.113.0/24 either: the
   * scenarios' floating-IP pools are there.
   */
  public static final String CLIENT4 = "192.0.2.1";

  /**
   * The outside host of IPv6 flows (RFC 3849 documentation prefix); the lab's underlay is IPv4
   * only, so it is the model's alone.
   */
  public static final String CLIENT6 = "2001:db8:ffff::1";

  private Gateway() {}

  /** The outside host of {@code destination}'s family: {@link #CLIENT4} or {@link #CLIENT6}. */
  public static String source(String destination) {
    return destination.indexOf(':') >= 0 ? CLIENT6 : CLIENT4;
  }

  /** A route the gateway has: the network that exports it (it has route targets) and the route. */
  public record Exported(Vrf vrf, Route route) {}

  /**
   * The gateway's route to {@code address}: the first network by name with route targets that holds
   * it as its own route (a leaked route is not exported again). Node addresses are the fabric's and
   * are not looked up here.
   *
   * @return null: the gateway has no route to it
   */
  public static Exported route(CompiledView view, String address) {
    // A scan rather than a sort: probe asks this for every backend of every service.
    Vrf exported = null;
    Route route = null;
    for (Vrf v : view.vrfs()) {
      if ((exported != null && v.network().compareTo(exported.network()) >= 0)
          || v.routeTargets().isEmpty()) {
        continue;
      }
      Route r = v.lookup(address);
      if (r != null && r.origin().equals(v.network())) {
        exported = v;
        route = r;
      }
    }
    return route == null ? null : new Exported(exported, route);
  }

  /**
   * The members a packet to {@code destination} can be sent to: those of its family (a next hop
   * that translates to an address of another family cannot take it: destination NAT does not cross
   * families), in the next hop's order.
   */
  public static List<NextHop.Interface> family(
      List<NextHop.Interface> members, String destination) {
    boolean v6 = destination.indexOf(':') >= 0;
    List<NextHop.Interface> out = new ArrayList<>(members.size());
    for (NextHop.Interface i : members) {
      if (i.translateTo() == null || (i.translateTo().indexOf(':') >= 0) == v6) {
        out.add(i);
      }
    }
    return out;
  }

  /**
   * The nodes the gateway spreads a floating IP's flows over: those holding a member, placed and
   * with an address, in node name order.
   */
  public static List<String> nodes(List<NextHop.Interface> members) {
    TreeSet<String> out = new TreeSet<>();
    for (NextHop.Interface i : members) {
      if (i.node() != null && i.nodeAddress() != null) {
        out.add(i.node());
      }
    }
    return List.copyOf(out);
  }

  /** The members on {@code node}, in the next hop's order. */
  public static List<NextHop.Interface> local(List<NextHop.Interface> members, String node) {
    List<NextHop.Interface> out = new ArrayList<>();
    for (NextHop.Interface i : members) {
      if (node.equals(i.node()) && i.nodeAddress() != null) {
        out.add(i);
      }
    }
    return out;
  }

  /**
   * The index, out of {@code n}, of the node the gateway sends a flow to: {@link Jhash} with the
   * gateway's seed, over the 5-tuple for a service's floating IP (per listener), over the addresses
   * alone for an interface's.
   */
  public static int node(
      boolean ports,
      String source,
      int sourcePort,
      String destination,
      int destinationPort,
      int n) {
    return ports
        ? Jhash.backend(source, sourcePort, destination, destinationPort, n, Jhash.GATEWAY_SEED)
        : Jhash.backend(source, destination, n, Jhash.GATEWAY_SEED);
  }

  /**
   * The member a flow from outside to {@code destination} reaches: the gateway picks a node ({@link
   * #node}), that node one of its local members by {@link Jhash} with the nodes' seed.
   *
   * @param members the route's members, already of {@code destination}'s family
   * @param ports whether the choice hashes ports (a service listener) or addresses only
   * @return null: no member is on a node the gateway can reach
   */
  public static NextHop.Interface choose(
      List<NextHop.Interface> members,
      boolean ports,
      String source,
      int sourcePort,
      String destination,
      int destinationPort) {
    List<String> nodes = nodes(members);
    if (nodes.isEmpty()) {
      return null;
    }
    String node =
        nodes.get(node(ports, source, sourcePort, destination, destinationPort, nodes.size()));
    List<NextHop.Interface> local = local(members, node);
    int i =
        ports
            ? Jhash.backend(source, sourcePort, destination, destinationPort, local.size())
            : Jhash.backend(source, destination, local.size());
    return local.get(i);
  }
}
