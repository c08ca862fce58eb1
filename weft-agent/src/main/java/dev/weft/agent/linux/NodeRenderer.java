package dev.weft.agent.linux;

import dev.weft.agent.linux.NodeState.FdbEntry;
import dev.weft.agent.linux.NodeState.Hop;
import dev.weft.agent.linux.NodeState.IpRoute;
import dev.weft.agent.linux.NodeState.IpRule;
import dev.weft.agent.linux.NodeState.Neighbor;
import dev.weft.agent.linux.NodeState.Network;
import dev.weft.agent.linux.NodeState.PodInterface;
import dev.weft.agent.linux.NodeState.RouteType;
import dev.weft.control.CompiledView;
import dev.weft.control.Endpoint;
import dev.weft.control.NextHop;
import dev.weft.control.NodePort;
import dev.weft.control.Route;
import dev.weft.control.Vrf;
import dev.weft.model.FqName;
import dev.weft.model.IpPrefix;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Renders the compiled state into the kernel state one node needs ({@link NodeState}): a pure
 * function of the view and the node's name, so every render of the same view is equal, and the
 * agent can render on every change and let {@link LinuxNode} program the difference.
 *
 * <p>The shape, in the vRouter's terms:
 *
 * <ul>
 *   <li><b>A routing table per virtual network</b> (id = the network's VNI, {@link Naming#vnis}),
 *       holding the network's routing instance: its own routes and those leaked into it, each to a
 *       local pod ({@code dev <veth>}), to a pod on another node ({@code via <node> dev <vxlan>
 *       onlink}, with a permanent neighbour entry for the node's VTEP MAC and an fdb entry to its
 *       underlay address). A service VIP or floating IP has no route: nftables translates it before
 *       routing, and what is left untranslated (a port no listener has) ends in the table's {@code
 *       unreachable default}, as any address without a route does. Isolation is the absence of a
 *       route, never a fall-through to the node's main table.
 *   <li><b>Policy routing</b>: {@code iif <pod veth> lookup <its network>}; {@code iif <vxlan of N>
 *       lookup N}; and {@code fwmark N lookup N}, ahead of them, for flows whose conntrack mark
 *       names another table (below).
 *   <li><b>A packet is encapsulated with the VNI of the table that routed it</b>, so the receiving
 *       node routes it in the same table, whose content is the same on every node. A flow is routed
 *       in its source's network, or, when it goes through a service VIP or floating IP, in the
 *       network that address belongs to (as Contrail routes floating-IP flows in the floating IP's
 *       routing instance). Its conntrack mark records that network, and its replies are routed in
 *       it too: they find their way back even between networks no policy joins (an isolated
 *       namespace's pod using a default-namespace service).
 *   <li><b>The networks a node routes in</b> are those of its pods, those whose tables hold a route
 *       to one of its pods (they deliver here), the networks of the VIPs and floating IPs its pods
 *       reach (their translated flows are routed there), and the networks of node-port backends.
 *       Not every network of the cluster.
 *   <li><b>nftables</b> ({@code inet weft}, see {@link NftRenderer}): anti-spoofing, destination
 *       NAT for VIPs, floating IPs and node ports, network ACLs and Kubernetes NetworkPolicy, each
 *       a constant number of set lookups per packet whatever the number of services and rules.
 * </ul>
 */
public final class NodeRenderer {
  /** A 1500-byte underlay less VXLAN's 50 bytes of encapsulation. */
  public static final int DEFAULT_MTU = 1450;

  private final int mtu;
  private final java.util.function.ToLongFunction<FqName> created;

  public NodeRenderer() {
    this(DEFAULT_MTU);
  }

  /**
   * @param mtu the MTU of pods' interfaces and VXLAN devices: the underlay's less 50
   */
  public NodeRenderer(int mtu) {
    this(mtu, n -> Long.MAX_VALUE);
  }

  /**
   * @param mtu the MTU of pods' interfaces and VXLAN devices: the underlay's less 50
   * @param created the store revision that created each virtual network ({@link Long#MAX_VALUE}
   *     when unknown): the order in which VNIs are given ({@link Naming#vnis(java.util.Collection,
   *     java.util.function.ToLongFunction)}), so a network keeps its VNI when others appear
   */
  public NodeRenderer(int mtu, java.util.function.ToLongFunction<FqName> created) {
    if (mtu < 1280) {
      throw new IllegalArgumentException("an MTU below 1280 cannot carry IPv6: " + mtu);
    }
    this.mtu = mtu;
    this.created = created;
  }

  /**
   * The kernel state {@code node} needs. Pure: reads {@code view} only, and only inside the call
   * (call it within {@code Compiler.read}).
   */
  public NodeState render(CompiledView view, String node) {
    return new Plan(view, node).render();
  }

  /** One render: the view, the node, and what is derived along the way. */
  final class Plan {
    final CompiledView view;
    final String node;
    final String nodeAddress;
    final Map<FqName, Integer> vnis;
    final List<Endpoint> local = new ArrayList<>();
    final Map<UUID, String> devices = new HashMap<>();
    final Set<FqName> own = new TreeSet<>();

    /** Networks of node-port backends: their tables route to every other node's address. */
    final Set<FqName> nodePortNetworks = new TreeSet<>();

    final Map<FqName, Boolean> networks = new TreeMap<>();
    final Map<FqName, Map<String, Route>> winners = new HashMap<>();
    final List<String> warnings = new ArrayList<>();
    final Set<IpRoute> routes = new TreeSet<>();
    final Set<Neighbor> neighbors = new TreeSet<>();
    final Set<FdbEntry> fdb = new TreeSet<>();
    boolean v6;
    private boolean warnedNoAddress;

    Plan(CompiledView view, String node) {
      this.view = view;
      this.node = node;
      this.nodeAddress = view.nodeAddresses().get(node);
      List<FqName> all = new ArrayList<>();
      for (Vrf v : view.vrfs()) {
        all.add(v.network());
      }
      this.vnis = Naming.vnis(all, created);
    }

    NodeState render() {
      collectLocal();
      collectNetworks();
      List<Network> nets = new ArrayList<>();
      for (Map.Entry<FqName, Boolean> e : networks.entrySet()) {
        int vni = vnis.get(e.getKey());
        nets.add(
            new Network(
                e.getKey(), vni, Naming.vxlanDevice(vni), Naming.vtepMac(node), e.getValue()));
      }
      nets.sort(Comparator.comparingInt(Network::vni));
      for (Network n : nets) {
        tableRoutes(n);
      }
      List<PodInterface> pods = new ArrayList<>();
      for (Endpoint e : local) {
        String dev = devices.get(e.interfaceUuid());
        pods.add(
            new PodInterface(
                e.interfaceUuid(),
                e.displayName(),
                e.network(),
                vnis.get(e.network()),
                dev,
                e.macAddress(),
                e.addresses().stream().map(Addresses::canonical).toList(),
                mtu));
        for (String a : e.addresses()) {
          neighbors.add(new Neighbor(dev, Addresses.canonical(a), e.macAddress()));
          v6 |= Addresses.isV6(a);
        }
      }
      pods.sort(Comparator.comparing(PodInterface::hostDevice));
      for (IpRoute r : routes) {
        v6 |= r.family() == 6;
      }
      for (Network n : nets) {
        routes.add(unreachable(4, n.table()));
        if (v6) {
          routes.add(unreachable(6, n.table()));
        }
      }
      Set<IpRule> rules = new TreeSet<>();
      for (int family : v6 ? new int[] {4, 6} : new int[] {4}) {
        for (Network n : nets) {
          rules.add(
              new IpRule(
                  family, Naming.MARK_RULE_PRIORITY, null, n.vni(), Naming.MARK_MASK, n.table()));
          rules.add(new IpRule(family, Naming.IIF_RULE_PRIORITY, n.device(), 0, 0, n.table()));
        }
        for (PodInterface p : pods) {
          rules.add(new IpRule(family, Naming.IIF_RULE_PRIORITY, p.hostDevice(), 0, 0, p.vni()));
        }
      }
      if (nodeAddress != null && !Addresses.isV6(nodeAddress) && !nets.isEmpty()) {
        // Replies of flows from outside leave by the fabric, as the node's own traffic does.
        rules.add(
            new IpRule(
                4,
                Naming.EXTERNAL_RULE_PRIORITY,
                null,
                Naming.EXTERNAL_MARK,
                Naming.EXTERNAL_MARK,
                Naming.MAIN_TABLE));
      }
      Nft.Ruleset nft = new NftRenderer(this, nets, pods).render();
      return new NodeState(
          node,
          nodeAddress,
          mtu,
          nets,
          pods,
          List.copyOf(rules),
          List.copyOf(routes),
          List.copyOf(neighbors),
          List.copyOf(fdb),
          nft,
          warnings);
    }

    private void collectLocal() {
      Map<String, UUID> byDevice = new HashMap<>();
      List<Endpoint> eps = new ArrayList<>(view.endpoints());
      eps.sort(Comparator.comparing(Endpoint::interfaceUuid));
      for (Endpoint e : eps) {
        if (!node.equals(e.node())) {
          continue;
        }
        if (!vnis.containsKey(e.network())) {
          warnings.add(
              e.displayName()
                  + ": network "
                  + e.network()
                  + " has no routing instance; its interface is not programmed");
          continue;
        }
        String dev = Naming.podDevice(e.interfaceUuid());
        UUID clash = byDevice.putIfAbsent(dev, e.interfaceUuid());
        if (clash != null) {
          warnings.add(
              "interfaces "
                  + clash
                  + " and "
                  + e.interfaceUuid()
                  + " hash to one device name "
                  + dev
                  + "; the second is not programmed");
          continue;
        }
        devices.put(e.interfaceUuid(), dev);
        local.add(e);
        own.add(e.network());
      }
    }

    private void collectNetworks() {
      for (FqName n : own) {
        networks.put(n, true);
      }
      for (Vrf v : view.vrfs()) {
        if (networks.containsKey(v.network())) {
          continue;
        }
        for (Route r : winners(v.network()).values()) {
          boolean nat = isNat(r.nextHop());
          if ((!nat || r.origin().equals(v.network())) && reachesLocal(r.nextHop())) {
            networks.put(v.network(), false);
            break;
          }
        }
      }
      for (FqName a : own) {
        for (Route r : winners(a).values()) {
          if (isNat(r.nextHop()) && vnis.containsKey(r.origin())) {
            networks.putIfAbsent(r.origin(), false);
          }
        }
      }
      if (nodeAddress != null) {
        for (NodePort np : view.nodePorts()) {
          for (NextHop.Interface b : np.backends()) {
            Endpoint e = view.endpoint(b.interfaceUuid());
            if (e != null && vnis.containsKey(e.network())) {
              networks.putIfAbsent(e.network(), false);
              nodePortNetworks.add(e.network());
            }
          }
        }
      }
    }

    /**
     * The route a lookup picks per prefix: the network's own first, then the first leaker by name.
     */
    Map<String, Route> winners(FqName network) {
      return winners.computeIfAbsent(
          network,
          n -> {
            Vrf vrf = view.vrf(n);
            Map<String, Route> out = new TreeMap<>();
            if (vrf == null) {
              return out;
            }
            for (Route r : vrf.routes()) {
              String p = Addresses.prefix(r.prefix());
              Route had = out.get(p);
              if (had == null || better(n, r, had)) {
                out.put(p, r);
              }
            }
            return out;
          });
    }

    private boolean better(FqName network, Route r, Route had) {
      if (had.origin().equals(network)) {
        return false;
      }
      return r.origin().equals(network) || r.origin().compareTo(had.origin()) < 0;
    }

    private void tableRoutes(Network n) {
      Map<String, Route> table = winners(n.network());
      Set<String> delivered = new TreeSet<>();
      // Prefixes wider than a host that route without translation: a VIP or floating IP inside one
      // needs a blackhole route, or its untranslated packets would follow the wider route. Others
      // need none: the table's unreachable default drops them (rendering none saves a route per
      // service per table, 20,000 of them for 10,000 services in two networks).
      List<IpPrefix> wide = new ArrayList<>();
      for (Route r : table.values()) {
        int host = Addresses.isV6(r.prefix().toString()) ? 128 : 32;
        if (!isNat(r.nextHop()) && r.prefix().length() < host) {
          wide.add(r.prefix());
        }
      }
      for (Map.Entry<String, Route> e : table.entrySet()) {
        String prefix = e.getKey();
        Route r = e.getValue();
        int family = Addresses.family(prefix);
        NextHop hop = r.nextHop();
        if (isNat(hop)) {
          String address = prefix.substring(0, prefix.indexOf('/'));
          if (wide.stream().anyMatch(w -> w.contains(address))) {
            routes.add(
                new IpRoute(
                    family, n.table(), prefix, RouteType.BLACKHOLE, List.of(), metric(family)));
          }
          if (r.origin().equals(n.network())) {
            delivered.addAll(translatedTargets(hop));
          }
          continue;
        }
        List<Hop> hops = new ArrayList<>();
        for (NextHop.Interface i : members(hop)) {
          Hop h = hop(i, prefix, n);
          if (h != null && !hops.contains(h)) {
            hops.add(h);
          }
        }
        if (!hops.isEmpty()) {
          routes.add(
              new IpRoute(family, n.table(), prefix, RouteType.UNICAST, hops, metric(family)));
        }
      }
      // A node-port flow to a backend on another node has the translating node's address as its
      // source: the backend's reply goes back to that node through the tunnel, where the flow is.
      if (nodePortNetworks.contains(n.network()) && nodeAddress != null) {
        for (Map.Entry<String, String> other : view.nodeAddresses().entrySet()) {
          String prefix = Addresses.host(other.getValue());
          if (other.getKey().equals(node)
              || Addresses.isV6(other.getValue())
              || table.containsKey(prefix)) {
            continue;
          }
          Hop h =
              hop(
                  new NextHop.Interface(new UUID(0, 0), other.getKey(), other.getValue()),
                  prefix,
                  n);
          if (h != null) {
            routes.add(new IpRoute(4, n.table(), prefix, RouteType.UNICAST, List.of(h), metric(4)));
          }
        }
      }
      // Translated flows are routed in this table after destination NAT: each target needs a route
      // here even when its own network's routes are not leaked into this one.
      for (String target : delivered) {
        String[] parts = target.split(" ", 2);
        UUID uuid = UUID.fromString(parts[0]);
        String prefix = Addresses.host(parts[1]);
        if (table.containsKey(prefix)) {
          continue;
        }
        Endpoint ep = view.endpoint(uuid);
        if (ep == null) {
          continue;
        }
        Hop h = hop(new NextHop.Interface(uuid, ep.node(), ep.nodeAddress()), prefix, n);
        if (h != null) {
          int family = Addresses.family(prefix);
          routes.add(
              new IpRoute(
                  family, n.table(), prefix, RouteType.UNICAST, List.of(h), metric(family)));
        }
      }
    }

    /** {@code uuid address} of every interface a NAT next hop translates to. */
    private List<String> translatedTargets(NextHop hop) {
      List<String> out = new ArrayList<>();
      for (NextHop.Interface i : members(hop)) {
        if (i.translateTo() != null) {
          out.add(i.interfaceUuid() + " " + i.translateTo());
        }
      }
      return out;
    }

    /**
     * The next hop toward interface {@code i} for {@code prefix} in table {@code n}; null: none.
     */
    private Hop hop(NextHop.Interface i, String prefix, Network n) {
      if (i.node() == null) {
        return null;
      }
      int family = Addresses.family(prefix);
      if (i.node().equals(node)) {
        Endpoint e = view.endpoint(i.interfaceUuid());
        String dev = devices.get(i.interfaceUuid());
        if (e == null || dev == null) {
          return null;
        }
        for (String a : e.addresses()) {
          if (Addresses.host(a).equals(prefix)) {
            return new Hop(null, dev, false);
          }
        }
        for (String a : e.addresses()) {
          if (Addresses.family(a) == family) {
            return new Hop(Addresses.canonical(a), dev, true);
          }
        }
        return null;
      }
      if (nodeAddress == null) {
        if (!warnedNoAddress) {
          warnedNoAddress = true;
          warnings.add(
              "node " + node + " reports no address: nothing on it reaches pods on other nodes");
        }
        return null;
      }
      String remote = i.nodeAddress();
      if (remote == null) {
        return null;
      }
      String mac = Naming.vtepMac(i.node());
      String gateway =
          Addresses.canonical(
              family == 4 && !Addresses.isV6(remote) ? remote : Naming.linkLocal(mac));
      String dev = n.device();
      neighbors.add(new Neighbor(dev, gateway, mac));
      fdb.add(new FdbEntry(dev, mac, Addresses.canonical(remote)));
      return new Hop(gateway, dev, true);
    }

    private boolean reachesLocal(NextHop hop) {
      for (NextHop.Interface i : members(hop)) {
        if (node.equals(i.node()) && devices.containsKey(i.interfaceUuid())) {
          return true;
        }
      }
      return false;
    }

    int vni(FqName network) {
      return vnis.get(network);
    }
  }

  /**
   * Every interface a next hop leads to: itself, the ECMP members, or every listener's backends.
   */
  static List<NextHop.Interface> members(NextHop hop) {
    if (hop instanceof NextHop.Interface i) {
      return List.of(i);
    }
    if (hop instanceof NextHop.Ecmp e) {
      return e.members();
    }
    NextHop.Service s = (NextHop.Service) hop;
    Map<UUID, NextHop.Interface> out = new LinkedHashMap<>();
    for (List<NextHop.Interface> backends : new TreeMap<>(s.listeners()).values()) {
      for (NextHop.Interface i : backends) {
        out.putIfAbsent(i.interfaceUuid(), i);
      }
    }
    return List.copyOf(out.values());
  }

  /** Whether a next hop translates the destination: a service, or a floating IP. */
  static boolean isNat(NextHop hop) {
    if (hop instanceof NextHop.Interface i) {
      return i.translateTo() != null;
    }
    if (hop instanceof NextHop.Ecmp e) {
      return e.members().stream().anyMatch(i -> i.translateTo() != null);
    }
    return true;
  }

  private static long metric(int family) {
    return family == 6 ? 1024 : 0;
  }

  private static IpRoute unreachable(int family, long table) {
    return new IpRoute(
        family,
        table,
        family == 6 ? "::/0" : "0.0.0.0/0",
        RouteType.UNREACHABLE,
        List.of(),
        Naming.UNREACHABLE_METRIC);
  }
}
