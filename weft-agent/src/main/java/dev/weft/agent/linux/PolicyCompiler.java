package dev.weft.agent.linux;

import dev.weft.agent.linux.Boxes.Box;
import dev.weft.agent.linux.Nft.Field;
import dev.weft.agent.linux.NodeState.PodInterface;
import dev.weft.control.Endpoint;
import dev.weft.control.policy.CompiledPolicy;
import dev.weft.control.policy.GroupKey;
import dev.weft.control.policy.PolicyView;
import dev.weft.model.ContainerPort;
import dev.weft.model.FirewallPort;
import dev.weft.model.IpBlock;
import dev.weft.model.IpPrefix;
import dev.weft.model.Protocol;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Kubernetes NetworkPolicy as nftables sets, the way Cilium's policy map works: every pod that some
 * rule can name as a peer gets an <em>identity</em>, shared by all pods in the same peer groups
 * with the same resolutions of the named ports egress rules use ({@code identity4/6}: address to
 * identity, cluster-wide). What each selected local pod may send ({@code np_eg4/6}) or receive
 * ({@code np_in4/6}) is one interval set per direction and family over (veth, peer address,
 * identity, protocol, port): a group peer is any address with one of the group's identities, an
 * ipBlock an address range with any identity, a rule without peers everything. So a packet costs
 * two lookups whatever the number of policies, and a pod joining a group changes one element of the
 * identity map (plus a new identity's elements, the first time a combination appears).
 *
 * <p>Identities are local to a node (they never travel in a packet): a hash of what defines them,
 * probed past collisions in definition order, so a re-render gives the same numbers.
 */
final class PolicyCompiler {
  private static final BigInteger PORT_MAX = BigInteger.valueOf(65535);
  private static final BigInteger PROTO_MAX = BigInteger.valueOf(255);
  private static final BigInteger ID_MAX = BigInteger.valueOf(0xffffffffL);

  private final NodeRenderer.Plan plan;
  private final NftRenderer nft;
  private final List<PodInterface> pods;
  private final PolicyView view;

  /** Identity of each pod that has one. */
  private final Map<UUID, Long> identityOf = new HashMap<>();

  /** The pods' identities by peer group. */
  private final Map<GroupKey, Set<Long>> identitiesIn = new HashMap<>();

  /**
   * Per identity, the named ports of egress rules it resolves: "name/PROTO" to (protocol, port).
   */
  private final Map<Long, Map<String, Set<List<Integer>>>> resolutions = new HashMap<>();

  PolicyCompiler(NodeRenderer.Plan plan, NftRenderer nft, List<PodInterface> pods) {
    this.plan = plan;
    this.nft = nft;
    this.pods = pods;
    this.view = plan.view.policies();
  }

  void render() {
    nft.set("np_eg_iso", false, null, Field.IFNAME);
    nft.set("np_in_iso", false, null, Field.IFNAME);
    nft.set("identity4", false, "mark", Field.IPV4);
    nft.set("identity6", false, "mark", Field.IPV6);
    for (String s : new String[] {"np_eg", "np_in"}) {
      nft.set(
          s + "4", true, null, Field.IFNAME, Field.IPV4, Field.MARK, Field.PROTO, Field.SERVICE);
      nft.set(
          s + "6", true, null, Field.IFNAME, Field.IPV6, Field.MARK, Field.PROTO, Field.SERVICE);
    }
    nft.chain(
        "np_egress",
        List.of(
            "iifname != @np_eg_iso return",
            // A pod reaching itself through a VIP or floating IP (hairpin): always allowed.
            "ip saddr . ip daddr @hairpin4 return",
            "ip6 saddr . ip6 daddr @hairpin6 return",
            "meta mark set 0",
            "meta mark set ip daddr map @identity4",
            "meta mark set ip6 daddr map @identity6",
            "iifname . ip daddr . meta mark . meta l4proto . th dport @np_eg4 return",
            "iifname . ip6 daddr . meta mark . meta l4proto . th dport @np_eg6 return",
            "drop"));
    nft.chain(
        "np_ingress",
        List.of(
            "ip saddr . ip daddr @hairpin4 return",
            "ip6 saddr . ip6 daddr @hairpin6 return",
            "meta mark set 0",
            "meta mark set ip saddr map @identity4",
            "meta mark set ip6 saddr map @identity6",
            "oifname . ip saddr . meta mark . meta l4proto . th dport @np_in4 return",
            "oifname . ip6 saddr . meta mark . meta l4proto . th dport @np_in6 return",
            "drop"));
    Map<UUID, CompiledPolicy> policies = new LinkedHashMap<>();
    for (UUID u : view.policies()) {
      CompiledPolicy p = view.policy(u);
      if (p != null) {
        policies.put(u, p);
      }
    }
    identities(policies.values());
    for (PodInterface pod : pods) {
      List<CompiledPolicy> applied = new ArrayList<>();
      for (UUID u : view.appliedPolicies(pod.uuid())) {
        CompiledPolicy p = policies.get(u);
        if (p != null) {
          applied.add(p);
        }
      }
      String dev = Nft.ifname(pod.hostDevice());
      if (applied.stream().anyMatch(CompiledPolicy::egress)) {
        nft.element("np_eg_iso", null, dev);
        allow("np_eg", dev, applied, true, null);
      }
      if (applied.stream().anyMatch(CompiledPolicy::ingress)) {
        nft.element("np_in_iso", null, dev);
        allow("np_in", dev, applied, false, view.declaredPorts(pod.uuid()));
      }
    }
  }

  /** Gives every pod in a peer group (or resolving an egress named port) its identity. */
  private void identities(java.util.Collection<CompiledPolicy> policies) {
    Set<GroupKey> peerGroups = new TreeSet<>();
    Set<String> named = new TreeSet<>();
    for (CompiledPolicy p : policies) {
      for (List<CompiledPolicy.Rule> rules : List.of(p.ingressRules(), p.egressRules())) {
        for (CompiledPolicy.Rule r : rules) {
          for (CompiledPolicy.Peer peer : r.peers()) {
            if (peer.group() != null) {
              peerGroups.add(peer.group());
            }
          }
        }
      }
      for (CompiledPolicy.Rule r : p.egressRules()) {
        for (FirewallPort fp : r.ports()) {
          if (fp.name() != null) {
            named.add(fp.name() + "/" + fp.protocol());
          }
        }
      }
    }
    Map<UUID, List<String>> groupsOf = new TreeMap<>();
    for (GroupKey g : peerGroups) {
      List<UUID> members = view.members(g);
      for (UUID m : members == null ? List.<UUID>of() : members) {
        groupsOf.computeIfAbsent(m, k -> new ArrayList<>()).add(g.toString());
      }
    }
    Map<UUID, Map<String, Set<List<Integer>>>> resolved = new TreeMap<>();
    if (!named.isEmpty()) {
      for (Endpoint e : plan.view.endpoints()) {
        Map<String, Set<List<Integer>>> r = new TreeMap<>();
        for (String n : named) {
          Set<List<Integer>> ports = resolve(n, view.declaredPorts(e.interfaceUuid()));
          if (!ports.isEmpty()) {
            r.put(n, ports);
          }
        }
        if (!r.isEmpty()) {
          resolved.put(e.interfaceUuid(), r);
        }
      }
    }
    Set<UUID> all = new TreeSet<>(groupsOf.keySet());
    all.addAll(resolved.keySet());
    Map<String, List<UUID>> byDefinition = new TreeMap<>();
    Map<String, Map<String, Set<List<Integer>>>> resolutionOf = new HashMap<>();
    Map<String, List<String>> groupsOfDefinition = new HashMap<>();
    for (UUID u : all) {
      List<String> gs = groupsOf.getOrDefault(u, List.of());
      Map<String, Set<List<Integer>>> rs = resolved.getOrDefault(u, Map.of());
      String def = gs + " " + rs;
      byDefinition.computeIfAbsent(def, k -> new ArrayList<>()).add(u);
      resolutionOf.put(def, rs);
      groupsOfDefinition.put(def, gs);
    }
    Set<Long> taken = new HashSet<>();
    Map<String, GroupKey> keys = new HashMap<>();
    for (GroupKey g : peerGroups) {
      keys.put(g.toString(), g);
    }
    for (Map.Entry<String, List<UUID>> e : byDefinition.entrySet()) {
      byte[] h = Naming.sha256(e.getKey());
      long id =
          ((h[0] & 0xffL) << 24) | ((h[1] & 0xffL) << 16) | ((h[2] & 0xffL) << 8) | (h[3] & 0xffL);
      while (id == 0 || taken.contains(id)) {
        id = (id + 1) & 0xffffffffL;
      }
      taken.add(id);
      resolutions.put(id, resolutionOf.get(e.getKey()));
      for (String g : groupsOfDefinition.get(e.getKey())) {
        identitiesIn.computeIfAbsent(keys.get(g), k -> new TreeSet<>()).add(id);
      }
      for (UUID u : e.getValue()) {
        identityOf.put(u, id);
        Endpoint ep = plan.view.endpoint(u);
        if (ep == null) {
          continue;
        }
        for (String a : ep.addresses()) {
          boolean v6 = Addresses.isV6(a);
          BigInteger n = Nft.number(a);
          nft.element(
              v6 ? "identity6" : "identity4",
              Long.toString(id),
              (v6 ? Field.IPV6 : Field.IPV4).format(n, n));
        }
      }
    }
  }

  /** The (protocol number, port) pairs named port {@code named} ("name/PROTO") resolves to. */
  private static Set<List<Integer>> resolve(String named, List<ContainerPort> declared) {
    int slash = named.lastIndexOf('/');
    String name = named.substring(0, slash);
    Protocol protocol = Protocol.valueOf(named.substring(slash + 1));
    Set<List<Integer>> out =
        new TreeSet<>(
            (a, b) -> a.get(0).equals(b.get(0)) ? a.get(1) - b.get(1) : a.get(0) - b.get(0));
    for (ContainerPort c : declared) {
      if (c.name().equals(name) && protocol.matches(c.protocol())) {
        out.add(List.of(NftRenderer.protocol(c.protocol(), false), c.port()));
      }
    }
    return out;
  }

  /**
   * The elements of what a local pod's policies allow in one direction.
   *
   * @param egress whether the peer is the destination (named ports resolve on the peer) or the
   *     source (they resolve on the local pod, whose {@code ownPorts} are given)
   */
  private void allow(
      String set,
      String dev,
      List<CompiledPolicy> applied,
      boolean egress,
      List<ContainerPort> ownPorts) {
    for (int family : new int[] {4, 6}) {
      List<Box> boxes = new ArrayList<>();
      for (CompiledPolicy p : applied) {
        if (egress ? !p.egress() : !p.ingress()) {
          continue;
        }
        for (CompiledPolicy.Rule r : egress ? p.egressRules() : p.ingressRules()) {
          List<CompiledPolicy.Peer> peers = r.peers();
          if (peers.isEmpty()) {
            rule(boxes, family, null, r.ports(), egress, ownPorts);
          } else {
            for (CompiledPolicy.Peer peer : peers) {
              rule(boxes, family, peer, r.ports(), egress, ownPorts);
            }
          }
        }
      }
      Field address = family == 6 ? Field.IPV6 : Field.IPV4;
      for (Box b : Boxes.union(boxes)) {
        nft.element(
            set + family,
            null,
            dev,
            address.format(b.lo[0], b.hi[0]),
            Field.MARK.format(b.lo[1], b.hi[1]),
            Field.PROTO.format(b.lo[2], b.hi[2]),
            Field.SERVICE.format(b.lo[3], b.hi[3]));
      }
    }
  }

  /** Boxes over (address, identity, protocol, port) for one peer (null: any) of a rule. */
  private void rule(
      List<Box> out,
      int family,
      CompiledPolicy.Peer peer,
      List<FirewallPort> ports,
      boolean egress,
      List<ContainerPort> ownPorts) {
    List<BigInteger[]> addresses = new ArrayList<>();
    List<BigInteger[]> ids = new ArrayList<>();
    BigInteger[] allIds = {BigInteger.ZERO, ID_MAX};
    if (peer == null) {
      addresses.add(new BigInteger[] {BigInteger.ZERO, Addresses.max(family)});
      ids.add(allIds);
    } else if (peer.group() != null) {
      addresses.add(new BigInteger[] {BigInteger.ZERO, Addresses.max(family)});
      for (long id : identitiesIn.getOrDefault(peer.group(), Set.of())) {
        ids.add(new BigInteger[] {BigInteger.valueOf(id), BigInteger.valueOf(id)});
      }
    } else {
      addresses.addAll(ranges(peer.block(), family));
      ids.add(allIds);
    }
    if (ports.isEmpty()) {
      for (BigInteger[] a : addresses) {
        for (BigInteger[] i : ids) {
          out.add(box(a, i, BigInteger.ZERO, PROTO_MAX, BigInteger.ZERO, PORT_MAX));
        }
      }
      return;
    }
    for (FirewallPort fp : ports) {
      if (fp.name() == null) {
        BigInteger[] proto = protocols(fp.protocol(), family);
        BigInteger lo = fp.port() == null ? BigInteger.ZERO : BigInteger.valueOf(fp.port());
        BigInteger hi =
            fp.port() == null
                ? PORT_MAX
                : BigInteger.valueOf(fp.endPort() == null ? fp.port() : fp.endPort());
        for (BigInteger[] a : addresses) {
          for (BigInteger[] i : ids) {
            out.add(box(a, i, proto[0], proto[1], lo, hi));
          }
        }
        continue;
      }
      String named = fp.name() + "/" + fp.protocol();
      if (!egress) {
        // Ingress: the port is the local pod's own, whatever the peer.
        for (List<Integer> pp : resolve(named, ownPorts)) {
          for (BigInteger[] a : addresses) {
            for (BigInteger[] i : ids) {
              out.add(port(a, i, pp));
            }
          }
        }
        continue;
      }
      // Egress: the port is the destination's; only identities resolving the name match, and
      // only those the peer allows.
      for (Map.Entry<Long, Map<String, Set<List<Integer>>>> e : resolutions.entrySet()) {
        Set<List<Integer>> pps = e.getValue().get(named);
        if (pps == null) {
          continue;
        }
        BigInteger id = BigInteger.valueOf(e.getKey());
        boolean allowed = false;
        for (BigInteger[] i : ids) {
          allowed |= id.compareTo(i[0]) >= 0 && id.compareTo(i[1]) <= 0;
        }
        if (!allowed) {
          continue;
        }
        for (List<Integer> pp : pps) {
          for (BigInteger[] a : addresses) {
            out.add(port(a, new BigInteger[] {id, id}, pp));
          }
        }
      }
    }
  }

  private static Box port(BigInteger[] a, BigInteger[] id, List<Integer> protoPort) {
    BigInteger proto = BigInteger.valueOf(protoPort.get(0));
    BigInteger port = BigInteger.valueOf(protoPort.get(1));
    return box(a, id, proto, proto, port, port);
  }

  private static BigInteger[] protocols(Protocol p, int family) {
    if (p == Protocol.ANY) {
      return new BigInteger[] {BigInteger.ZERO, PROTO_MAX};
    }
    BigInteger n = BigInteger.valueOf(NftRenderer.protocol(p, family == 6));
    return new BigInteger[] {n, n};
  }

  /** An ipBlock's addresses of {@code family}: its cidr less its excepts, as ranges. */
  private static List<BigInteger[]> ranges(IpBlock block, int family) {
    IpPrefix cidr = block.cidr();
    if (Addresses.family(cidr.toString()) != family) {
      return List.of();
    }
    List<Box> parts =
        List.of(
            new Box(
                new BigInteger[] {Addresses.lower(cidr)},
                new BigInteger[] {Addresses.upper(cidr)}));
    for (IpPrefix e : block.except()) {
      if (Addresses.family(e.toString()) != family) {
        continue;
      }
      Box cut =
          new Box(new BigInteger[] {Addresses.lower(e)}, new BigInteger[] {Addresses.upper(e)});
      List<Box> next = new ArrayList<>();
      for (Box p : parts) {
        next.addAll(Boxes.subtract(p, cut));
      }
      parts = next;
    }
    List<BigInteger[]> out = new ArrayList<>();
    for (Box p : parts) {
      out.add(new BigInteger[] {p.lo[0], p.hi[0]});
    }
    return out;
  }

  private static Box box(
      BigInteger[] address,
      BigInteger[] id,
      BigInteger protoLo,
      BigInteger protoHi,
      BigInteger portLo,
      BigInteger portHi) {
    return new Box(
        new BigInteger[] {address[0], id[0], protoLo, portLo},
        new BigInteger[] {address[1], id[1], protoHi, portHi});
  }
}
