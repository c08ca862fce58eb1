package dev.weft.agent.linux;

import dev.weft.agent.linux.Nft.Base;
import dev.weft.agent.linux.Nft.Chain;
import dev.weft.agent.linux.Nft.Element;
import dev.weft.agent.linux.Nft.Field;
import dev.weft.agent.linux.NodeState.Network;
import dev.weft.agent.linux.NodeState.PodInterface;
import dev.weft.control.Acl;
import dev.weft.control.Endpoint;
import dev.weft.control.Gateway;
import dev.weft.control.Jhash;
import dev.weft.control.NextHop;
import dev.weft.control.NodePort;
import dev.weft.control.Route;
import dev.weft.control.Vrf;
import dev.weft.model.FqName;
import dev.weft.model.Protocol;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Renders a node's nftables table, {@code inet weft}. Per packet, each stage is a fixed number of
 * set or map lookups, whatever the number of services, networks, ACL entries or NetworkPolicy rules
 * (kube-proxy's nftables mode and Cilium's policy map are the models); what grows is elements,
 * which a change adds and deletes one by one, not chains or rules.
 *
 * <ul>
 *   <li>{@code pre_mangle} (prerouting, mangle): a pod may only send from its own addresses ({@code
 *       pod_src4/6}, keyed by veth and address). A new flow's conntrack mark is set to the network
 *       of the interface it came in on ({@code ingress_net}), and every packet carries its flow's
 *       conntrack mark as packet mark, which the {@code fwmark} rules route by.
 *   <li>{@code pre_nat} (prerouting, dstnat): one verdict map per kind, keyed by the source's
 *       network (the packet mark) and the destination. {@code svc4/6} (network . VIP . protocol .
 *       port) jumps to the chain for listeners with that many backends in that VIP's network, whose
 *       one rule hashes the 5-tuple ({@code jhash}, fixed seed: {@link Jhash}), marks the flow with
 *       the VIP's network, and translates through {@code svc_backends4/6} (network . VIP . protocol
 *       . port . index, to address . target port). {@code fip4/6} (network . floating IP) jumps to
 *       a chain per floating IP. {@code nodeports} (protocol . port, to the node's own address)
 *       works as services do, the mark from {@code nodeport_nets}: the backend's network.
 *   <li>{@code pre_route} (prerouting, after NAT): the packet mark, which NAT used as scratch, is
 *       set back to the flow's mark before routing.
 *   <li>{@code fwd_filter} (forward): established flows pass (the vRouter's flow pairs); nothing
 *       transits between VXLAN devices; a new flow from a local pod jumps to its network's chain
 *       ({@code from_pod}), a new flow to a local pod selected by an ingress NetworkPolicy to
 *       {@code np_ingress}.
 *   <li>{@code from_<src>}: the network ACLs, on the source's node, for both ends: the
 *       destination's network (from the translated address, {@code addr_net4/6}, or for a NAT'd
 *       flow from its mark) selects the pair's chain ({@code acl_to_<src>}); {@code
 *       acl_out_<src>_<dst>} looks the packet up among the boxes of the source network's
 *       first-match ACL whose verdict differs from the pair's default (protocol . source .
 *       destination . source port . destination port, interval map, {@link AclCompiler}) then
 *       applies the default; {@code acl_in_<src>_<dst>} does the same with the destination
 *       network's ACL; then {@code np_egress}.
 *   <li>{@code np_egress} / {@code np_ingress}: NetworkPolicy as Cilium's policy map ({@link
 *       PolicyCompiler}): the peer's address maps to an identity ({@code identity4/6}), and one
 *       interval set per direction ({@code np_eg4/6}, {@code np_in4/6}: veth . peer address .
 *       identity . protocol . port) holds what each selected local pod may send or receive.
 *   <li>{@code post_mangle}: Weft's mark bits are cleared before a packet leaves, so that the outer
 *       VXLAN packet is routed by the main table, not by the overlay table the mark names.
 * </ul>
 *
 * <p>The destination network's ACL is applied on the source's node because only there is the flow's
 * destination network known in every case: after decapsulation, a flow to a backend through a VIP
 * and a flow to the same pod directly look alike. Every node renders every network's ACL from the
 * same view, so the result is the model's. NetworkPolicy ingress, which depends only on the
 * translated packet, is applied on the destination's node.
 */
final class NftRenderer {
  private final NodeRenderer.Plan plan;
  private final List<Network> networks;
  private final List<PodInterface> pods;

  private final Map<String, Nft.Set> sets = new TreeMap<>();
  private final Map<String, List<Element>> elements = new TreeMap<>();
  private final List<Chain> chains = new ArrayList<>();
  private final Map<String, Chain> targetChains = new TreeMap<>();

  NftRenderer(NodeRenderer.Plan plan, List<Network> networks, List<PodInterface> pods) {
    this.plan = plan;
    this.networks = networks;
    this.pods = pods;
  }

  Nft.Ruleset render() {
    if (networks.isEmpty() && pods.isEmpty()) {
      return Nft.Ruleset.EMPTY;
    }
    declareSets();
    baseChains();
    ingress();
    nat();
    List<FqName> sources = new ArrayList<>(new TreeSet<>(plan.own));
    for (FqName a : sources) {
      new AclCompiler(plan, this).source(a);
    }
    new PolicyCompiler(plan, this, pods).render();
    chains.addAll(targetChains.values());
    List<Nft.Set> out = new ArrayList<>();
    for (Nft.Set s : sets.values()) {
      out.add(
          new Nft.Set(
              s.name(),
              s.key(),
              s.interval(),
              s.value(),
              elements.getOrDefault(s.name(), List.of())));
    }
    return new Nft.Ruleset(out, chains);
  }

  // ---------------------------------------------------------------------------------------------
  // Building blocks, used by the compilers too

  void set(String name, boolean interval, String value, Field... key) {
    sets.put(name, new Nft.Set(name, List.of(key), interval, value, List.of()));
  }

  void element(String set, String value, String... key) {
    if (!sets.containsKey(set)) {
      throw new IllegalStateException("no set " + set);
    }
    elements.computeIfAbsent(set, k -> new ArrayList<>()).add(new Element(List.of(key), value));
  }

  void chain(String name, List<String> rules) {
    chains.add(new Chain(name, null, rules));
  }

  /** A chain a map element jumps to, named after what it does; one chain for equal content. */
  String target(String prefix, List<String> rules) {
    String name = prefix + "_" + Naming.digest(String.join("\n", rules));
    targetChains.putIfAbsent(name, new Chain(name, null, rules));
    return name;
  }

  static String hex(long v) {
    return "0x" + Long.toHexString(v);
  }

  // ---------------------------------------------------------------------------------------------

  private void declareSets() {
    set("pod_ifaces", false, null, Field.IFNAME);
    set("vxlan_ifaces", false, null, Field.IFNAME);
    set("pod_src4", false, null, Field.IFNAME, Field.IPV4);
    set("pod_src6", false, null, Field.IFNAME, Field.IPV6);
    set("ingress_net", false, "mark", Field.IFNAME);
    set("from_pod", false, "verdict", Field.IFNAME);
    set("svc4", false, "verdict", Field.MARK, Field.IPV4, Field.PROTO, Field.SERVICE);
    set("svc6", false, "verdict", Field.MARK, Field.IPV6, Field.PROTO, Field.SERVICE);
    set("fip4", false, "verdict", Field.MARK, Field.IPV4);
    set("fip6", false, "verdict", Field.MARK, Field.IPV6);
    set(
        "svc_backends4",
        false,
        "ipv4_addr . inet_service",
        Field.MARK,
        Field.IPV4,
        Field.PROTO,
        Field.SERVICE,
        Field.MARK);
    set(
        "svc_backends6",
        false,
        "ipv6_addr . inet_service",
        Field.MARK,
        Field.IPV6,
        Field.PROTO,
        Field.SERVICE,
        Field.MARK);
    set("nodeports", false, "verdict", Field.PROTO, Field.SERVICE);
    set("nodeport_nets", false, "mark", Field.PROTO, Field.SERVICE, Field.MARK);
    set(
        "nodeport_backends4",
        false,
        "ipv4_addr . inet_service",
        Field.PROTO,
        Field.SERVICE,
        Field.MARK);
    set(
        "nodeport_backends6",
        false,
        "ipv6_addr . inet_service",
        Field.PROTO,
        Field.SERVICE,
        Field.MARK);
    set("addr_net4", false, "mark", Field.IPV4);
    set("addr_net6", false, "mark", Field.IPV6);
    set("ext_svc4", false, "verdict", Field.IPV4, Field.PROTO, Field.SERVICE);
    set(
        "ext_backends4",
        false,
        "ipv4_addr . inet_service",
        Field.IPV4,
        Field.PROTO,
        Field.SERVICE,
        Field.MARK);
    set("ext_fip4", false, "verdict", Field.IPV4);
    set("ext_addr4", false, "mark", Field.IPV4);
    set("ext_acl", false, "verdict", Field.MARK);
    set("hairpin4", false, null, Field.IPV4, Field.IPV4);
    set("hairpin6", false, null, Field.IPV6, Field.IPV6);
  }

  private void baseChains() {
    chains.add(
        new Chain(
            "pre_mangle",
            new Base("filter", "prerouting", -150, "accept"),
            List.of(
                "iifname @pod_ifaces meta nfproto ipv4 iifname . ip saddr != @pod_src4 drop",
                "iifname @pod_ifaces meta nfproto ipv6 ip6 saddr != fe80::/10"
                    + " iifname . ip6 saddr != @pod_src6 drop",
                "ct state new ct mark set iifname map @ingress_net",
                "ct mark and " + hex(Naming.MARK_MASK) + " != 0 meta mark set ct mark")));
    List<String> nat = new ArrayList<>();
    nat.add("meta mark . ip daddr . meta l4proto . th dport vmap @svc4");
    nat.add("meta mark . ip6 daddr . meta l4proto . th dport vmap @svc6");
    nat.add("meta mark . ip daddr vmap @fip4");
    nat.add("meta mark . ip6 daddr vmap @fip6");
    // From the fabric (no network's mark: not from a pod, not out of a tunnel): node ports on the
    // node's own address, and what the gateway routes here (floating IPs and exported addresses).
    String fabric = "meta mark and " + hex(Naming.MARK_MASK) + " == 0 ";
    if (plan.nodeAddress != null) {
      String ip = Addresses.isV6(plan.nodeAddress) ? "ip6" : "ip";
      nat.add(
          fabric
              + ip
              + " daddr "
              + Addresses.canonical(plan.nodeAddress)
              + " meta l4proto . th dport vmap @nodeports");
    }
    nat.add(fabric + "ip daddr . meta l4proto . th dport vmap @ext_svc4");
    nat.add(fabric + "ip daddr vmap @ext_fip4");
    nat.add(fabric + "ct mark set ip daddr map @ext_addr4");
    chains.add(new Chain("pre_nat", new Base("nat", "prerouting", -100, "accept"), nat));
    // After destination NAT (which uses the packet mark as scratch), before routing. A reply of a
    // flow from outside is routed by the main table (Naming.EXTERNAL_RULE_PRIORITY).
    chains.add(
        new Chain(
            "pre_route",
            new Base("filter", "prerouting", -90, "accept"),
            List.of(
                "ct mark and "
                    + hex(Naming.MARK_MASK)
                    + " != 0 meta mark set ct mark and "
                    + hex(Naming.MARK_MASK),
                "ct direction reply ct mark and "
                    + hex(Naming.EXTERNAL_MARK)
                    + " != 0 meta mark set "
                    + hex(Naming.EXTERNAL_MARK))));
    List<String> post = new ArrayList<>();
    if (plan.nodeAddress != null) {
      String ip = Addresses.isV6(plan.nodeAddress) ? "ip6" : "ip";
      post.add(
          "ct mark and "
              + hex(Naming.MASQUERADE_MARK)
              + " != 0 oifname @vxlan_ifaces snat "
              + ip
              + " to "
              + Addresses.canonical(plan.nodeAddress));
    }
    // A pod reaching itself through a VIP or floating IP (hairpin): as kube-proxy does, the source
    // is translated, here to the pod's gateway, or the pod would drop a packet from its own
    // address as a martian.
    post.add("ct status dnat ip saddr . ip daddr @hairpin4 snat ip to " + Naming.GATEWAY4);
    post.add("ct status dnat ip6 saddr . ip6 daddr @hairpin6 snat ip6 to " + Naming.GATEWAY6);
    chains.add(new Chain("post_nat", new Base("nat", "postrouting", 100, "accept"), post));
    chains.add(
        new Chain(
            "fwd_filter",
            new Base("filter", "forward", 0, "accept"),
            List.of(
                "ct state established,related accept",
                "iifname @vxlan_ifaces oifname @vxlan_ifaces drop",
                "iifname vmap @from_pod",
                // A flow from outside through a floating IP or exported address: the network
                // ACL of the network that exported it, with an outside source.
                "ct mark and "
                    + hex(Naming.EXTERNAL_MARK | Naming.MASQUERADE_MARK)
                    + " == "
                    + hex(Naming.EXTERNAL_MARK)
                    + " ct mark and "
                    + hex(Naming.MARK_MASK)
                    + " vmap @ext_acl",
                "oifname @np_in_iso jump np_ingress")));
    chains.add(
        new Chain(
            "post_mangle",
            new Base("filter", "postrouting", -150, "accept"),
            List.of(
                "meta mark and "
                    + hex(Naming.ALL_MARKS)
                    + " != 0 meta mark set meta mark and "
                    + hex(0xffffffffL & ~Naming.ALL_MARKS))));
  }

  private void ingress() {
    for (Network n : networks) {
      element("vxlan_ifaces", null, Nft.ifname(n.device()));
      element("ingress_net", Long.toString(n.vni()), Nft.ifname(n.device()));
    }
    for (PodInterface p : pods) {
      String dev = Nft.ifname(p.hostDevice());
      element("pod_ifaces", null, dev);
      element("ingress_net", Long.toString(p.vni()), dev);
      element("from_pod", "jump from_" + Integer.toHexString(p.vni()), dev);
      for (String a : p.addresses()) {
        boolean v6 = Addresses.isV6(a);
        String address = (v6 ? Field.IPV6 : Field.IPV4).format(Nft.number(a), Nft.number(a));
        element(v6 ? "pod_src6" : "pod_src4", null, dev, address);
        element(v6 ? "hairpin6" : "hairpin4", null, address, address);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Destination NAT

  private void nat() {
    for (FqName a : new TreeSet<>(plan.own)) {
      String source = Field.MARK.format(plan.vni(a));
      for (Map.Entry<String, Route> e : plan.winners(a).entrySet()) {
        Route r = e.getValue();
        if (!NodeRenderer.isNat(r.nextHop()) || !plan.vnis.containsKey(r.origin())) {
          continue;
        }
        String prefix = e.getKey();
        String address = prefix.substring(0, prefix.indexOf('/'));
        boolean v6 = Addresses.isV6(address);
        Field addressField = v6 ? Field.IPV6 : Field.IPV4;
        String vip = addressField.format(Nft.number(address), Nft.number(address));
        int origin = plan.vni(r.origin());
        if (r.nextHop() instanceof NextHop.Service svc) {
          for (Map.Entry<NextHop.ServicePort, List<NextHop.Interface>> l :
              new TreeMap<>(svc.listeners()).entrySet()) {
            List<NextHop.Interface> backends = family(l.getValue(), v6);
            int proto = protocol(l.getKey().protocol(), v6);
            if (backends.isEmpty() || proto < 0 || l.getKey().protocol() == Protocol.ICMP) {
              continue; // no backend: nothing translates it, and no route leads anywhere
            }
            String fam = v6 ? "6" : "4";
            String chain = "svc" + fam + "_n" + backends.size() + "_" + Integer.toHexString(origin);
            serviceChain(chain, origin, backends.size(), v6);
            String p = Field.PROTO.format(proto);
            String port = Field.SERVICE.format(l.getKey().port());
            element("svc" + fam, "jump " + chain, source, vip, p, port);
            for (int i = 0; i < backends.size(); i++) {
              element(
                  "svc_backends" + fam,
                  target(backends.get(i), l.getKey()),
                  Field.MARK.format(origin),
                  vip,
                  p,
                  port,
                  Field.MARK.format(i));
            }
          }
        } else {
          List<NextHop.Interface> members = family(NodeRenderer.members(r.nextHop()), v6);
          if (!members.isEmpty()) {
            String chain = target("fip", List.of(floatingIpRule(origin, origin, members, v6)));
            element(v6 ? "fip6" : "fip4", "jump " + chain, source, vip);
          }
        }
      }
    }
    if (plan.nodeAddress != null) {
      nodePorts();
    }
    external();
  }

  /**
   * What the gateway routes to this node ({@link Gateway}): each address a network with route
   * targets exports, when a next hop behind it is local. A service's floating IP is translated, per
   * listener, to a local backend only, picked by the hash the model computes ({@link
   * Gateway#choose}); an interface's floating IP to a local interface; an exported pod address is
   * routed in its network. The flow's mark names the network that exported the address, with {@link
   * Naming#EXTERNAL_MARK}: its ACL judges the flow ({@code ext_acl}) and its replies leave by the
   * fabric. IPv4 only: the underlay the gateway sits on is.
   */
  private void external() {
    if (plan.nodeAddress == null || Addresses.isV6(plan.nodeAddress)) {
      return;
    }
    Set<FqName> judged = new TreeSet<>();
    for (dev.weft.control.Vrf v : plan.view.vrfs()) {
      if (v.routeTargets().isEmpty() || !plan.vnis.containsKey(v.network())) {
        continue;
      }
      int origin = plan.vni(v.network());
      long mark = origin | Naming.EXTERNAL_MARK;
      for (Map.Entry<String, Route> e : plan.winners(v.network()).entrySet()) {
        Route r = e.getValue();
        String prefix = e.getKey();
        String address = prefix.substring(0, prefix.indexOf('/'));
        if (!r.origin().equals(v.network()) || Addresses.isV6(address) || !prefix.endsWith("/32")) {
          continue;
        }
        Gateway.Exported gw = Gateway.route(plan.view, address);
        if (gw == null || !gw.vrf().network().equals(v.network())) {
          continue; // another network's export of the address wins at the gateway
        }
        String vip = Field.IPV4.format(Nft.number(address), Nft.number(address));
        boolean any = false;
        if (r.nextHop() instanceof NextHop.Service svc) {
          for (Map.Entry<NextHop.ServicePort, List<NextHop.Interface>> l :
              new TreeMap<>(svc.listeners()).entrySet()) {
            List<NextHop.Interface> local = Gateway.local(family(l.getValue(), false), plan.node);
            int proto = protocol(l.getKey().protocol(), false);
            if (local.isEmpty() || proto < 0 || l.getKey().protocol() == Protocol.ICMP) {
              continue;
            }
            String chain = "ext4_n" + local.size() + "_" + Integer.toHexString(origin);
            targetChains.putIfAbsent(
                chain,
                new Chain(
                    chain,
                    null,
                    List.of(
                        "meta l4proto { tcp, udp, sctp } meta mark set "
                            + hash5(false, local.size())
                            + " ct mark set "
                            + hex(mark)
                            + " dnat ip to ip daddr . meta l4proto . th dport . meta mark map"
                            + " @ext_backends4")));
            String p = Field.PROTO.format(proto);
            String port = Field.SERVICE.format(l.getKey().port());
            element("ext_svc4", "jump " + chain, vip, p, port);
            for (int i = 0; i < local.size(); i++) {
              element(
                  "ext_backends4",
                  target(local.get(i), l.getKey()),
                  vip,
                  p,
                  port,
                  Field.MARK.format(i));
            }
            any = true;
          }
        } else {
          List<NextHop.Interface> local =
              Gateway.local(Gateway.family(NodeRenderer.members(r.nextHop()), address), plan.node);
          if (local.isEmpty()) {
            continue;
          }
          if (NodeRenderer.isNat(r.nextHop())) {
            List<NextHop.Interface> translated = family(local, false);
            if (translated.isEmpty()) {
              continue;
            }
            String chain =
                target("extfip", List.of(floatingIpRule(origin, mark, translated, false)));
            element("ext_fip4", "jump " + chain, vip);
          } else {
            element("ext_addr4", Long.toString(mark), vip);
          }
          any = true;
        }
        if (any && judged.add(v.network())) {
          String chain = "acl_in_ext_" + Integer.toHexString(origin);
          element("ext_acl", "jump " + chain, Field.MARK.format(origin));
          new AclCompiler(plan, this).external(v.network(), chain);
        }
      }
    }
  }

  /**
   * The chain of every service listener with {@code n} backends whose VIP is in the network of
   * {@code origin}: mark the flow with that network, and translate to the backend {@code jhash} of
   * the 5-tuple picks, looked up in {@code svc_backends} by (network, VIP, protocol, port, index).
   * The packet mark is the index's scratch register here; {@code pre_route} sets it back to the
   * flow's mark before routing.
   */
  private void serviceChain(String chain, int origin, int n, boolean v6) {
    if (targetChains.containsKey(chain)) {
      return;
    }
    String ip = v6 ? "ip6" : "ip";
    targetChains.put(
        chain,
        new Chain(
            chain,
            null,
            List.of(
                "meta l4proto { tcp, udp, sctp } meta mark set "
                    + hash5(v6, n)
                    + " ct mark set "
                    + hex(origin)
                    + " dnat "
                    + ip
                    + " to ct mark . "
                    + ip
                    + " daddr . meta l4proto . th dport . meta mark map @svc_backends"
                    + (v6 ? "6" : "4"))));
  }

  /**
   * Node ports: a packet to the node's own address on a node port is translated to a backend of the
   * service listener, picked by the same hash, and routed in the backend's network (the flow's
   * mark, from {@code nodeport_nets}).
   */
  private void nodePorts() {
    boolean v6 = Addresses.isV6(plan.nodeAddress);
    String fam = v6 ? "6" : "4";
    String ip = v6 ? "ip6" : "ip";
    for (NodePort np : plan.view.nodePorts()) {
      List<NextHop.Interface> backends = family(np.backends(), v6);
      int proto = protocol(np.nodePort().protocol(), v6);
      if (backends.isEmpty() || proto < 0 || np.nodePort().protocol() == Protocol.ICMP) {
        continue;
      }
      List<Integer> nets = new ArrayList<>();
      for (NextHop.Interface b : backends) {
        Endpoint e = plan.view.endpoint(b.interfaceUuid());
        if (e == null || !plan.vnis.containsKey(e.network())) {
          break;
        }
        nets.add(plan.vni(e.network()));
      }
      if (nets.size() != backends.size()) {
        continue;
      }
      String chain = "nodeport" + fam + "_n" + backends.size();
      targetChains.putIfAbsent(
          chain,
          new Chain(
              chain,
              null,
              List.of(
                  "meta l4proto { tcp, udp, sctp } meta mark set "
                      + hash5(v6, backends.size())
                      + " ct mark set meta l4proto . th dport . meta mark map @nodeport_nets dnat "
                      + ip
                      + " to meta l4proto . th dport . meta mark map @nodeport_backends"
                      + fam)));
      String p = Field.PROTO.format(proto);
      String port = Field.SERVICE.format(np.nodePort().port());
      element("nodeports", "jump " + chain, p, port);
      for (int i = 0; i < backends.size(); i++) {
        String index = Field.MARK.format(i);
        element(
            "nodeport_nets",
            Long.toString(nets.get(i) | Naming.EXTERNAL_MARK | Naming.MASQUERADE_MARK),
            p,
            port,
            index);
        element(
            "nodeport_backends" + fam, target(backends.get(i), np.servicePort()), p, port, index);
      }
    }
  }

  private static List<NextHop.Interface> family(List<NextHop.Interface> members, boolean v6) {
    List<NextHop.Interface> out = new ArrayList<>();
    for (NextHop.Interface i : members) {
      if (i.translateTo() != null && Addresses.isV6(i.translateTo()) == v6) {
        out.add(i);
      }
    }
    return out;
  }

  /** The IP protocol number of a listener's protocol; -1 for one a listener cannot have. */
  static int protocol(Protocol p, boolean v6) {
    return switch (p) {
      case TCP -> 6;
      case UDP -> 17;
      case SCTP -> 132;
      case ICMP -> v6 ? 58 : 1;
      case ANY -> -1;
    };
  }

  private static String hash5(boolean v6, int n) {
    String ip = v6 ? "ip6" : "ip";
    return "jhash "
        + ip
        + " saddr . th sport . "
        + ip
        + " daddr . th dport mod "
        + n
        + " seed "
        + hex(Jhash.SEED & 0xffffffffL);
  }

  /** A backend as a translation map's value: its address and target port. */
  private static String target(NextHop.Interface b, NextHop.ServicePort port) {
    int p = b.translatePort() > 0 ? b.translatePort() : port.port();
    return canonical(b.translateTo()) + " . " + p;
  }

  /** An address as nft prints it (IPv6 compressed). */
  static String canonical(String address) {
    return Nft.address(Nft.number(address), Addresses.isV6(address));
  }

  /**
   * A floating IP: translated to its interface, or by a hash of the addresses to one of several.
   */
  private static String floatingIpRule(
      int origin, long ctMark, List<NextHop.Interface> members, boolean v6) {
    String ip = v6 ? "ip6" : "ip";
    String to;
    if (members.size() == 1) {
      to = Addresses.canonical(members.get(0).translateTo());
    } else {
      StringBuilder map = new StringBuilder();
      for (int i = 0; i < members.size(); i++) {
        map.append(i == 0 ? "" : ", ")
            .append(i)
            .append(" : ")
            .append(Addresses.canonical(members.get(i).translateTo()));
      }
      to =
          "jhash "
              + ip
              + " saddr . "
              + ip
              + " daddr mod "
              + members.size()
              + " seed "
              + hex(Jhash.SEED & 0xffffffffL)
              + " map { "
              + map
              + " }";
    }
    return "ct mark set "
        + hex(ctMark)
        + " meta mark set "
        + hex(origin)
        + " dnat "
        + ip
        + " to "
        + to;
  }

  // ---------------------------------------------------------------------------------------------
  // What the ACL stage needs from routing: the destination networks of each source network

  /**
   * The networks a flow from network {@code a} can be destined to: those of the interfaces its
   * table routes to without translation, keyed by their addresses ({@code addr_net4/6}), and the
   * networks of the VIPs and floating IPs in it.
   */
  Set<FqName> destinations(FqName a) {
    Set<FqName> out = new TreeSet<>();
    out.add(a);
    for (Route r : plan.winners(a).values()) {
      if (NodeRenderer.isNat(r.nextHop())) {
        if (plan.vnis.containsKey(r.origin())) {
          out.add(r.origin());
        }
        continue;
      }
      for (NextHop.Interface i : NodeRenderer.members(r.nextHop())) {
        Endpoint e = plan.view.endpoint(i.interfaceUuid());
        if (e != null && plan.vnis.containsKey(e.network())) {
          out.add(e.network());
          addressNetwork(e);
        }
      }
    }
    return out;
  }

  private final Map<String, String> addressNetworks = new LinkedHashMap<>();

  private void addressNetwork(Endpoint e) {
    for (String a : e.addresses()) {
      String c = Addresses.canonical(a);
      if (addressNetworks.putIfAbsent(c, e.network().toString()) == null) {
        boolean v6 = Addresses.isV6(c);
        element(
            v6 ? "addr_net6" : "addr_net4",
            Long.toString(plan.vni(e.network())),
            (v6 ? Field.IPV6 : Field.IPV4).format(Nft.number(c), Nft.number(c)));
      }
    }
  }

  Acl acl(FqName network) {
    Vrf v = plan.view.vrf(network);
    return v == null ? Acl.empty(network) : v.acl();
  }
}
