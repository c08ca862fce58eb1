package dev.weft.agent.linux;

import dev.weft.agent.linux.NodeState.FdbEntry;
import dev.weft.agent.linux.NodeState.IpRoute;
import dev.weft.agent.linux.NodeState.IpRule;
import dev.weft.agent.linux.NodeState.Neighbor;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a node's kernel holds of what Weft owns, as read by {@link KernelReader}: links named {@code
 * wfp*}/{@code wfx*}, routes in and rules to Weft's tables, permanent neighbour and fdb entries on
 * Weft's devices, the sysctls Weft sets, and the {@code inet weft} table.
 */
record KernelState(
    Map<String, Link> links,
    List<IpRoute> routes,
    List<IpRule> rules,
    List<Neighbor> neighbors,
    List<FdbEntry> fdb,
    Map<String, String> sysctls,
    NftTable nft) {
  KernelState {
    links = Map.copyOf(links);
    routes = List.copyOf(routes);
    rules = List.copyOf(rules);
    neighbors = List.copyOf(neighbors);
    fdb = List.copyOf(fdb);
    sysctls = Map.copyOf(sysctls);
  }

  /**
   * What the kernel holds once {@code state} has been applied to it with exactly the Weft devices
   * {@code present} existing (a pod's veth the CNI has not made is not there, nor is anything on
   * it): the starting point of a diff that reads nothing from the kernel.
   */
  static KernelState assumed(NodeState state, Set<String> present) {
    Map<String, Link> links = new LinkedHashMap<>();
    Map<String, String> sysctls = new HashMap<>();
    if (!state.networks().isEmpty() || !state.interfaces().isEmpty()) {
      sysctls.put("ipv4.ip_forward", "1");
      sysctls.put("ipv4.conf.all.rp_filter", "0");
      sysctls.put("ipv4.fwmark_reflect", "1");
      if (state.routes().stream().anyMatch(r -> r.family() == 6)) {
        sysctls.put("ipv6.conf.all.forwarding", "1");
        sysctls.put("ipv6.fwmark_reflect", "1");
      }
    }
    for (NodeState.Network n : state.networks()) {
      if (present.contains(n.device())) {
        links.put(
            n.device(),
            new Link(
                n.device(),
                "vxlan",
                true,
                state.mtu(),
                n.vtepMac(),
                new Vxlan(
                    n.vni(), Addresses.canonical(state.nodeAddress()), Naming.VXLAN_PORT, false)));
      }
    }
    for (NodeState.PodInterface p : state.interfaces()) {
      if (present.contains(p.hostDevice())) {
        links.put(
            p.hostDevice(), new Link(p.hostDevice(), "veth", true, p.mtu(), p.hostMac(), null));
      }
    }
    for (String dev : links.keySet()) {
      sysctls.put("ipv4.conf." + dev + ".rp_filter", "0");
    }
    Map<String, Nft.Set> sets = new LinkedHashMap<>();
    state.nft().sets().forEach(s -> sets.put(s.name(), s));
    Map<String, Chain> chains = new LinkedHashMap<>();
    for (Nft.Chain c : state.nft().chains()) {
      chains.put(
          c.name(),
          new Chain(c.name(), c.base(), c.rules().stream().map(Nft.Chain::comment).toList()));
    }
    return new KernelState(
        links,
        state.routes().stream().filter(r -> present.containsAll(r.devices())).toList(),
        state.rules(),
        state.neighbors().stream().filter(n -> present.contains(n.device())).toList(),
        state.fdb().stream().filter(f -> present.contains(f.device())).toList(),
        sysctls,
        new NftTable(!state.nft().isEmpty(), sets, chains));
  }

  /**
   * This state and a veth {@code device} as the CNI has just made it: up, with its MTU and MAC,
   * nothing on it (no routes, neighbours or fdb entries, its sysctls at the kernel's defaults, so
   * unknown here).
   */
  KernelState withBareVeth(String device, int mtu, String mac) {
    return without(device, new Link(device, "veth", true, mtu, mac, null));
  }

  /**
   * This state once {@code device} was deleted: the kernel takes the routes through it, its
   * neighbour and fdb entries and its sysctls with it.
   */
  KernelState withoutDevice(String device) {
    return without(device, null);
  }

  private KernelState without(String device, Link replacement) {
    Map<String, Link> l = new LinkedHashMap<>(links);
    l.remove(device);
    if (replacement != null) {
      l.put(device, replacement);
    }
    Map<String, String> s = new HashMap<>(sysctls);
    s.keySet().removeIf(k -> k.contains(".conf." + device + "."));
    return new KernelState(
        l,
        routes.stream().filter(r -> !r.devices().contains(device)).toList(),
        rules,
        neighbors.stream().filter(n -> !n.device().equals(device)).toList(),
        fdb.stream().filter(f -> !f.device().equals(device)).toList(),
        s,
        nft);
  }

  /**
   * A link.
   *
   * @param kind {@code veth}, {@code vxlan}, ... ("" when none)
   * @param vxlan a VXLAN device's parameters, or null
   */
  record Link(String name, String kind, boolean up, int mtu, String mac, Vxlan vxlan) {}

  /** What makes a VXLAN device the one Weft wants: recreated when any differs. */
  record Vxlan(long vni, String local, int port, boolean learning) {}

  /**
   * The {@code inet weft} table as the kernel lists it.
   *
   * @param exists whether there is such a table at all
   * @param sets declarations ({@link Nft.Set#declaration}) and elements by set name
   * @param chains by name
   */
  record NftTable(boolean exists, Map<String, Nft.Set> sets, Map<String, Chain> chains) {
    static final NftTable ABSENT = new NftTable(false, Map.of(), Map.of());
  }

  /**
   * A chain as listed.
   *
   * @param base the hook, or null for a regular chain
   * @param comments each rule's comment, in order (null for a rule without one)
   */
  record Chain(String name, Nft.Base base, List<String> comments) {}
}
