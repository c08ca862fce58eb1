package dev.weft.agent.linux;

import dev.weft.agent.linux.KernelState.Link;
import dev.weft.agent.linux.NodeState.FdbEntry;
import dev.weft.agent.linux.NodeState.IpRoute;
import dev.weft.agent.linux.NodeState.IpRule;
import dev.weft.agent.linux.NodeState.Neighbor;
import dev.weft.agent.linux.NodeState.Network;
import dev.weft.agent.linux.NodeState.PodInterface;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What to change so that a node's kernel holds {@code desired}, given what it holds: a pure
 * function, so the whole of reconciliation logic is tested without a kernel. Missing things are
 * added, Weft-owned extras removed, anything else left alone; an up-to-date kernel gives no change
 * at all.
 *
 * @param ip lines for {@code ip -force -batch -}: links, neighbours, routes, IPv4 rules, in that
 *     order (a route needs its device)
 * @param ip6 lines for {@code ip -6 -force -batch -}: IPv6 rules
 * @param bridge lines for {@code bridge -force -batch -}: VXLAN forwarding entries
 * @param sysctls {@code key=value} assignments for {@code sysctl -w}
 * @param nft one {@code nft -f} transaction, or "" for none
 * @param waiting pods whose host-side veth does not exist yet (the CNI creates it): their routes
 *     and neighbour entries wait for the next reconcile
 * @param counts changes by kind ({@code links}, {@code routes}, ...)
 * @param present Weft's devices that exist once the change is made
 */
record Diff(
    List<String> ip,
    List<String> ip6,
    List<String> bridge,
    List<String> sysctls,
    String nft,
    List<String> waiting,
    Map<String, Integer> counts,
    java.util.Set<String> present) {

  boolean isEmpty() {
    return ip.isEmpty() && ip6.isEmpty() && bridge.isEmpty() && sysctls.isEmpty() && nft.isEmpty();
  }

  int changes() {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }

  static Diff of(KernelState kernel, NodeState desired) {
    return new Builder(kernel, desired).build();
  }

  private static final class Builder {
    private final KernelState kernel;
    private final NodeState desired;
    private final List<String> links = new ArrayList<>();
    private final List<String> neighbors = new ArrayList<>();
    private final List<String> routes = new ArrayList<>();
    private final List<String> rules4 = new ArrayList<>();
    private final List<String> rules6 = new ArrayList<>();
    private final List<String> bridge = new ArrayList<>();
    private final List<String> sysctls = new ArrayList<>();
    private final List<String> waiting = new ArrayList<>();
    private final Map<String, Integer> counts = new TreeMap<>();

    /** Devices that exist once the link changes are made. */
    private final Set<String> present = new HashSet<>();

    /** Devices deleted or re-created: whatever the kernel had on them is gone. */
    private final Set<String> gone = new HashSet<>();

    /** Devices created by this change: their sysctls are set whatever their defaults. */
    private final Set<String> created = new HashSet<>();

    Builder(KernelState kernel, NodeState desired) {
      this.kernel = kernel;
      this.desired = desired;
    }

    Diff build() {
      links();
      neighbors();
      fdb();
      routes();
      rules();
      sysctls();
      String nft = NftDiff.script(kernel.nft(), desired.nft());
      if (!nft.isEmpty()) {
        count("nft", (int) nft.lines().count());
      }
      List<String> ip = new ArrayList<>(links);
      ip.addAll(neighbors);
      ip.addAll(routes);
      ip.addAll(rules4);
      return new Diff(ip, rules6, bridge, sysctls, nft, waiting, counts, Set.copyOf(present));
    }

    private void count(String kind, int n) {
      counts.merge(kind, n, Integer::sum);
    }

    private void links() {
      Map<String, Network> vxlans = new LinkedHashMap<>();
      if (desired.nodeAddress() != null) {
        for (Network n : desired.networks()) {
          vxlans.put(n.device(), n);
        }
      }
      Map<String, PodInterface> pods = new LinkedHashMap<>();
      for (PodInterface p : desired.interfaces()) {
        pods.put(p.hostDevice(), p);
      }
      for (Link l : kernel.links().values()) {
        // The reader lists only Weft's devices; checked again here, since deleting a device that
        // is not Weft's would take a node off the network.
        if (Naming.ownsDevice(l.name())
            && !vxlans.containsKey(l.name())
            && !pods.containsKey(l.name())) {
          links.add("link del dev " + l.name());
          gone.add(l.name());
          count("links", 1);
        }
      }
      for (Network n : vxlans.values()) {
        Link l = kernel.links().get(n.device());
        KernelState.Vxlan want =
            new KernelState.Vxlan(
                n.vni(), Addresses.canonical(desired.nodeAddress()), Naming.VXLAN_PORT, false);
        if (l != null && !want.equals(l.vxlan())) {
          links.add("link del dev " + n.device());
          gone.add(n.device());
          l = null;
        }
        if (l == null) {
          links.add(
              "link add "
                  + n.device()
                  + " address "
                  + n.vtepMac()
                  + " mtu "
                  + desired.mtu()
                  + " type vxlan id "
                  + n.vni()
                  + " local "
                  + want.local()
                  + " dstport "
                  + Naming.VXLAN_PORT
                  + " nolearning");
          links.add("link set dev " + n.device() + " up");
          created.add(n.device());
          count("links", 1);
        } else {
          attributes(l, n.vtepMac(), desired.mtu());
        }
        present.add(n.device());
      }
      for (PodInterface p : pods.values()) {
        Link l = kernel.links().get(p.hostDevice());
        if (l == null) {
          waiting.add(p.hostDevice() + " (" + p.pod() + ")");
          continue;
        }
        attributes(l, p.hostMac(), p.mtu());
        present.add(p.hostDevice());
      }
    }

    private void attributes(Link l, String mac, int mtu) {
      StringBuilder set = new StringBuilder();
      if (!l.mac().equals(mac)) {
        set.append(" address ").append(mac);
      }
      if (l.mtu() != mtu) {
        set.append(" mtu ").append(mtu);
      }
      if (!l.up()) {
        set.append(" up");
      }
      if (set.length() > 0) {
        links.add("link set dev " + l.name() + set);
        count("links", 1);
      }
    }

    private boolean observable(String device) {
      return !gone.contains(device);
    }

    private void neighbors() {
      Map<String, Neighbor> have = new HashMap<>();
      for (Neighbor n : kernel.neighbors()) {
        if (Naming.ownsDevice(n.device()) && observable(n.device())) {
          have.put(n.key(), n);
        }
      }
      Set<String> want = new HashSet<>();
      for (Neighbor n : desired.neighbors()) {
        if (!present.contains(n.device())) {
          continue;
        }
        want.add(n.key());
        if (!n.equals(have.get(n.key()))) {
          neighbors.add(
              "neigh replace "
                  + n.address()
                  + " lladdr "
                  + n.mac()
                  + " dev "
                  + n.device()
                  + " nud permanent");
          count("neighbors", 1);
        }
      }
      for (Neighbor n : new TreeMap<>(have).values()) {
        if (!want.contains(n.key())) {
          neighbors.add("neigh del " + n.address() + " dev " + n.device());
          count("neighbors", 1);
        }
      }
    }

    private void fdb() {
      Map<String, FdbEntry> have = new HashMap<>();
      for (FdbEntry f : kernel.fdb()) {
        if (Naming.ownsDevice(f.device()) && observable(f.device())) {
          have.put(f.key(), f);
        }
      }
      Set<String> want = new HashSet<>();
      for (FdbEntry f : desired.fdb()) {
        if (!present.contains(f.device())) {
          continue;
        }
        want.add(f.key());
        if (!f.equals(have.get(f.key()))) {
          bridge.add(
              "fdb replace "
                  + f.mac()
                  + " dev "
                  + f.device()
                  + " dst "
                  + f.dst()
                  + " self permanent");
          count("fdb", 1);
        }
      }
      for (FdbEntry f : new TreeMap<>(have).values()) {
        if (!want.contains(f.key())) {
          bridge.add("fdb del " + f.mac() + " dev " + f.device() + " dst " + f.dst() + " self");
          count("fdb", 1);
        }
      }
    }

    private void routes() {
      Map<String, IpRoute> have = new HashMap<>();
      for (IpRoute r : kernel.routes()) {
        if (Naming.ownsTable(r.table()) && r.devices().stream().allMatch(this::observable)) {
          have.put(r.key(), r);
        }
      }
      Set<String> want = new HashSet<>();
      for (IpRoute r : desired.routes()) {
        if (!r.devices().stream().allMatch(present::contains)) {
          continue; // a pod's veth the CNI has not made yet: listed in waiting
        }
        want.add(r.key());
        if (!r.equals(have.get(r.key()))) {
          routes.add("route replace " + r.args());
          count("routes", 1);
        }
      }
      for (IpRoute r : new TreeMap<>(have).values()) {
        if (!want.contains(r.key())) {
          routes.add(
              "route del "
                  + (r.type() == NodeState.RouteType.UNICAST
                      ? ""
                      : r.type().name().toLowerCase(java.util.Locale.ROOT) + " ")
                  + r.prefix()
                  + " table "
                  + r.table()
                  + " metric "
                  + r.metric());
          count("routes", 1);
        }
      }
    }

    private void rules() {
      List<IpRule> have = new ArrayList<>();
      for (IpRule r : kernel.rules()) {
        if (Naming.ownsRule(r)) {
          have.add(r);
        }
      }
      for (IpRule r : new TreeSet<>(desired.rules())) {
        if (!have.remove(r)) {
          (r.family() == 6 ? rules6 : rules4).add("rule add " + r.args());
          count("rules", 1);
        }
      }
      // What is left is extra, duplicates included.
      for (IpRule r : have) {
        (r.family() == 6 ? rules6 : rules4).add("rule del " + r.args());
        count("rules", 1);
      }
    }

    private void sysctls() {
      Map<String, String> want = new TreeMap<>();
      boolean any = !desired.networks().isEmpty() || !desired.interfaces().isEmpty();
      if (any) {
        want.put("ipv4.ip_forward", "1");
        want.put("ipv4.conf.all.rp_filter", "0");
        // An ICMP error the node sends a pod (no route: how isolation shows) carries the mark of
        // the packet it answers, so it is routed back in that pod's table: a connection to an
        // unreachable address fails at once instead of timing out.
        want.put("ipv4.fwmark_reflect", "1");
        if (desired.routes().stream().anyMatch(r -> r.family() == 6)) {
          want.put("ipv6.conf.all.forwarding", "1");
          want.put("ipv6.fwmark_reflect", "1");
        }
      }
      for (String dev : new TreeSet<>(present)) {
        // Policy routing by incoming interface does not pass reverse-path filtering: the reverse
        // lookup has no incoming interface, so it would land in the main table.
        want.put("ipv4.conf." + dev + ".rp_filter", "0");
      }
      for (Map.Entry<String, String> e : want.entrySet()) {
        String dev = device(e.getKey());
        boolean fresh = dev != null && created.contains(dev);
        if (fresh || !Objects.equals(kernel.sysctls().get(e.getKey()), e.getValue())) {
          sysctls.add("net." + e.getKey() + "=" + e.getValue());
          count("sysctls", 1);
        }
      }
    }

    private static String device(String key) {
      String[] parts = key.split("\\.");
      return parts.length == 4 && parts[1].equals("conf") ? parts[2] : null;
    }
  }
}
