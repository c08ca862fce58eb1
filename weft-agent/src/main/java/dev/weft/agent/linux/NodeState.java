package dev.weft.agent.linux;

import dev.weft.model.FqName;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The kernel state one node needs, as plain values: what {@link NodeRenderer} derives from the
 * compiled state and {@link LinuxNode} makes the kernel hold. Every list is sorted, so two renders
 * of the same view are equal, and a diff between renders is a diff of what to program.
 *
 * @param nodeAddress the node's underlay address (its VXLAN tunnel endpoint), or null when the node
 *     reports none (then nothing reaches other nodes)
 * @param mtu the MTU of pods' interfaces and of VXLAN devices (the underlay's less VXLAN's 50
 *     bytes)
 * @param networks the virtual networks this node routes in: each a routing table and a VXLAN device
 * @param interfaces the pods on this node, each with the host-side veth the CNI creates
 * @param warnings what could not be rendered and why (a person acts on these)
 */
public record NodeState(
    String node,
    String nodeAddress,
    int mtu,
    List<Network> networks,
    List<PodInterface> interfaces,
    List<IpRule> rules,
    List<IpRoute> routes,
    List<Neighbor> neighbors,
    List<FdbEntry> fdb,
    Nft.Ruleset nft,
    List<String> warnings) {
  public NodeState {
    Objects.requireNonNull(node, "node");
    networks = List.copyOf(networks);
    interfaces = List.copyOf(interfaces);
    rules = List.copyOf(rules);
    routes = List.copyOf(routes);
    neighbors = List.copyOf(neighbors);
    fdb = List.copyOf(fdb);
    Objects.requireNonNull(nft, "nft");
    warnings = List.copyOf(warnings);
  }

  /** Nothing at all: reconciling to it removes everything Weft owns on the node. */
  public static NodeState empty(String node) {
    return new NodeState(
        node,
        null,
        NodeRenderer.DEFAULT_MTU,
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        List.of(),
        Nft.Ruleset.EMPTY,
        List.of());
  }

  /** The pod interface by UUID; null when it is not on this node. */
  public PodInterface pod(UUID interfaceUuid) {
    for (PodInterface p : interfaces) {
      if (p.uuid().equals(interfaceUuid)) {
        return p;
      }
    }
    return null;
  }

  /** The network by FQ name; null when this node does not route in it. */
  public Network network(FqName name) {
    for (Network n : networks) {
      if (n.network().equals(name)) {
        return n;
      }
    }
    return null;
  }

  /**
   * A virtual network as this node routes in it.
   *
   * @param vni its VNI, which is also its routing table id and the mark that selects the table
   * @param device its VXLAN device
   * @param localPods whether a pod of this node is in it (else it is here to deliver NAT'd traffic
   *     or leaked routes to local pods, or to route traffic translated on this node)
   */
  public record Network(FqName network, int vni, String device, String vtepMac, boolean localPods) {
    public int table() {
      return vni;
    }
  }

  /**
   * A pod's interface on this node: what the CNI creates (the veth pair, the pod side's addresses,
   * MAC and routes through {@link Naming#GATEWAY4}/{@link Naming#GATEWAY6} with a static neighbour
   * entry to {@link Naming#HOST_MAC}), and what the agent programs around it.
   *
   * @param pod {@code namespace/name}, or the interface's FQ name when not a pod's
   * @param hostDevice the host-side veth
   * @param mac the pod side's MAC
   * @param addresses the pod side's addresses (each a host prefix on the pod side)
   * @param vni the VNI (and routing table) of its network
   */
  public record PodInterface(
      UUID uuid,
      String pod,
      FqName network,
      int vni,
      String hostDevice,
      String mac,
      List<String> addresses,
      int mtu) {
    public PodInterface {
      addresses = List.copyOf(addresses);
    }

    public String hostMac() {
      return Naming.HOST_MAC;
    }
  }

  /**
   * A policy-routing rule: {@code iif DEV lookup TABLE} or {@code fwmark MARK/MASK lookup TABLE}.
   *
   * @param family 4 or 6
   * @param iif the incoming interface, or null
   * @param fwmark the mark matched under {@code fwmask}, or 0 with {@code iif}
   */
  public record IpRule(int family, int priority, String iif, long fwmark, long fwmask, long table)
      implements Comparable<IpRule> {
    /** The arguments after {@code ip [-6] rule add|del}. */
    public String args() {
      StringBuilder sb = new StringBuilder();
      if (iif != null) {
        sb.append("iif ").append(iif);
      } else {
        sb.append("fwmark 0x")
            .append(Long.toHexString(fwmark))
            .append("/0x")
            .append(Long.toHexString(fwmask));
      }
      return sb.append(" lookup ").append(table).append(" pref ").append(priority).toString();
    }

    @Override
    public int compareTo(IpRule o) {
      return toString().compareTo(o.toString());
    }

    @Override
    public String toString() {
      return (family == 6 ? "-6 " : "") + args();
    }
  }

  /** What a route does. */
  public enum RouteType {
    UNICAST,
    /**
     * Dropped silently: a service VIP or floating IP inside a wider prefix of the table (nftables
     * translates what it should before routing; the rest must not follow the wider route).
     */
    BLACKHOLE,
    /** Dropped: the catch-all of a table, so nothing falls through to the node's main table. */
    UNREACHABLE
  }

  /** One next hop of a route: a device, and a gateway on it (null: directly connected). */
  public record Hop(String gateway, String device, boolean onlink) implements Comparable<Hop> {
    /**
     * The next hop's arguments in a route of {@code family} (a gateway of the other family is
     * {@code via inet|inet6}).
     */
    String args(int family) {
      StringBuilder sb = new StringBuilder();
      if (gateway != null) {
        sb.append("via ");
        int gatewayFamily = gateway.indexOf(':') >= 0 ? 6 : 4;
        if (gatewayFamily != family) {
          sb.append(gatewayFamily == 6 ? "inet6 " : "inet ");
        }
        sb.append(gateway).append(' ');
      }
      sb.append("dev ").append(device);
      if (onlink) {
        sb.append(" onlink");
      }
      return sb.toString();
    }

    @Override
    public int compareTo(Hop o) {
      return args(0).compareTo(o.args(0));
    }
  }

  /**
   * A route in one of Weft's tables.
   *
   * @param family 4 or 6 (of the prefix)
   * @param prefix canonical CIDR ({@code 10.32.0.5/32}, {@code 0.0.0.0/0})
   * @param hops the next hops: one for a plain route, several for a multipath one, none for a
   *     blackhole or unreachable route
   */
  public record IpRoute(
      int family, long table, String prefix, RouteType type, List<Hop> hops, long metric)
      implements Comparable<IpRoute> {
    public IpRoute {
      hops = hops.stream().sorted().toList();
    }

    /**
     * The identity of the route in the kernel: the same key twice is one route replacing the other.
     */
    public String key() {
      return family + " " + table + " " + prefix + " " + metric;
    }

    /** The arguments after {@code ip route replace|del}. */
    public String args() {
      StringBuilder sb = new StringBuilder();
      if (type != RouteType.UNICAST) {
        sb.append(type.name().toLowerCase(java.util.Locale.ROOT)).append(' ');
      }
      sb.append(prefix);
      if (hops.size() == 1) {
        sb.append(' ').append(hops.get(0).args(family));
      } else {
        for (Hop h : hops) {
          sb.append(" nexthop ").append(h.args(family));
        }
      }
      return sb.append(" table ").append(table).append(" metric ").append(metric).toString();
    }

    /** The devices it needs to exist. */
    public List<String> devices() {
      List<String> out = new ArrayList<>();
      for (Hop h : hops) {
        out.add(h.device());
      }
      return out;
    }

    @Override
    public int compareTo(IpRoute o) {
      return key().compareTo(o.key());
    }
  }

  /** A permanent neighbour entry: a pod's address on its host veth, a VTEP on a VXLAN device. */
  public record Neighbor(String device, String address, String mac)
      implements Comparable<Neighbor> {
    public String key() {
      return device + " " + address;
    }

    @Override
    public int compareTo(Neighbor o) {
      return (key() + " " + mac).compareTo(o.key() + " " + o.mac);
    }
  }

  /**
   * A VXLAN forwarding entry: frames to {@code mac} on {@code device} go to underlay {@code dst}.
   */
  public record FdbEntry(String device, String mac, String dst) implements Comparable<FdbEntry> {
    public String key() {
      return device + " " + mac;
    }

    @Override
    public int compareTo(FdbEntry o) {
      return (key() + " " + dst).compareTo(o.key() + " " + o.dst);
    }
  }
}
