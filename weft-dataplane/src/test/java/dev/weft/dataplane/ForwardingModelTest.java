package dev.weft.dataplane;

import static dev.weft.control.World.deny;
import static dev.weft.control.World.ip;
import static dev.weft.control.World.link;
import static dev.weft.control.World.linked;
import static dev.weft.control.World.net;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pass;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.policy;
import static dev.weft.control.World.ports;
import static dev.weft.control.World.router;
import static dev.weft.control.World.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.model.Action;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.PolicyRule;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The forwarding model's verdicts, and the steps it explains them with. */
class ForwardingModelTest {
  private final World world = new World();
  private final VirtualRouter node1 = router("node-1", "192.168.0.1");
  private final VirtualRouter node2 = router("node-2", "192.168.0.2");
  private final VirtualNetwork a = network("a");
  private final VirtualNetwork b = network("b");
  private final VirtualNetwork c = network("c");
  private final Pod a1 = pod("ns-a", "a1", a, node1, "10.1.0.1");
  private final Pod a2 = pod("ns-a", "a2", a, node1, "10.1.0.2");
  private final Pod a3 = pod("ns-a", "a3", a, node2, "10.1.0.3");
  private final Pod b1 = pod("ns-b", "b1", b, node2, "10.2.0.1");
  private final Pod c1 = pod("ns-c", "c1", c, node1, "10.3.0.1");
  private final ForwardingModel model = new ForwardingModel(world.compiler());

  World setUp() {
    world.put(node1, node2, a, b, c);
    world.put(a1, a2, a3, b1, c1);
    return world;
  }

  @AfterEach
  void close() {
    world.close();
  }

  private static Packet tcp(Pod from, Pod to, int port) {
    return packet(from, Protocol.TCP, to, port);
  }

  private static Packet packet(Pod from, Protocol protocol, Pod to, int port) {
    boolean icmp = protocol == Protocol.ICMP;
    return new Packet(
        from.id(), protocol, from.address(), icmp ? 0 : 40000, to.address(), icmp ? 0 : port);
  }

  private Verdict explain(Packet p) {
    return world.read(v -> ForwardingModel.evaluate(v, p, new ArrayList<>()));
  }

  private Verdict quick(Packet p) {
    return world.read(v -> ForwardingModel.evaluate(v, p, null));
  }

  private static List<String> stages(Verdict v) {
    return v.steps().stream().map(Step::stage).distinct().toList();
  }

  private static String details(Verdict v) {
    return String.join("\n", v.steps().stream().map(s -> s.stage() + ": " + s.detail()).toList());
  }

  /** The verdict with steps, after checking the fast path (no steps) agrees on it. */
  private Verdict verdict(Packet p) {
    Verdict full = explain(p);
    Verdict fast = quick(p);
    assertThat(fast.delivered()).as(p.describe()).isEqualTo(full.delivered());
    assertThat(fast.destinationInterface()).isEqualTo(full.destinationInterface());
    assertThat(fast.steps()).isEmpty();
    return full;
  }

  /** Joins {@code x} and {@code y} with {@code rules}, in one policy attached to both. */
  private NetworkPolicy join(String name, VirtualNetwork x, VirtualNetwork y, PolicyRule... rules) {
    NetworkPolicy p = policy(name, rules);
    world.put(p);
    world.put(linked(x, link(p, 1)), linked(y, link(p, 1)));
    return p;
  }

  @Test
  void podsOfOneNetworkOnOneNodeAreSwitchedLocally() {
    setUp();
    Verdict v = verdict(tcp(a1, a2, 80));

    assertThat(v.delivered()).isTrue();
    assertThat(v.destinationInterface()).isEqualTo(a2.id());
    assertThat(v.reason()).isEqualTo("same network default-domain:test:a");
    assertThat(stages(v))
        .containsExactly(
            "source",
            "vrf",
            "route",
            "policy-out",
            "tunnel",
            "policy-in",
            "egress",
            "ingress",
            "deliver");
    assertThat(details(v)).contains("same node node-1: switched locally");
    assertThat(details(v)).contains("no NetworkPolicy selects this pod for egress");
    assertThat(details(v)).contains("no policy attached");
  }

  @Test
  void podsOfOneNetworkOnTwoNodesGoThroughATunnel() {
    setUp();
    Verdict v = verdict(tcp(a1, a3, 80));

    assertThat(v.delivered()).isTrue();
    assertThat(v.destinationInterface()).isEqualTo(a3.id());
    assertThat(v.steps())
        .filteredOn(s -> s.stage().equals("tunnel"))
        .extracting(Step::detail)
        .containsExactly(
            "encapsulated from node-1 (192.168.0.1) to node-2 (192.168.0.2), into VRF"
                + " default-domain:test:a");
  }

  @Test
  void sameNetworkTrafficPassesEvenWhenTheNetworkHasPolicies() {
    setUp();
    join("ab", a, b, pass(a, ">", b));

    Verdict v = verdict(tcp(a1, a3, 80));
    assertThat(v.delivered()).isTrue();
    assertThat(details(v)).contains("traffic within default-domain:test:a always passes");
  }

  @Test
  void isolatedNetworksHaveNoRouteToEachOther() {
    setUp();
    Verdict v = verdict(tcp(a1, c1, 80));

    assertThat(v.delivered()).isFalse();
    assertThat(v.destinationInterface()).isNull();
    assertThat(v.reason())
        .startsWith("no route to 10.3.0.1 in VRF default-domain:test:a")
        .contains("no network policy joins it to another");
    assertThat(v.steps().get(v.steps().size() - 1).stage()).isEqualTo("drop");
    assertThat(stages(v)).doesNotContain("route", "policy-out", "tunnel");
    // Without steps (probe's fast path) the reason is a fixed phrase, built once.
    assertThat(quick(tcp(a1, c1, 80)).reason()).isEqualTo("no route");
    assertThat(quick(tcp(a1, c1, 80))).isSameAs(quick(tcp(a1, c1, 443)));
  }

  @Test
  void aOneWayRuleLetsTheSourceSideOpenFlowsAndNotTheOther() {
    setUp();
    NetworkPolicy p = join("ab", a, b, pass(a, ">", b));

    Verdict there = verdict(tcp(a1, b1, 80));
    assertThat(there.delivered()).isTrue();
    assertThat(there.reason())
        .isEqualTo("allowed from default-domain:test:a to default-domain:test:b");
    assertThat(details(there)).contains("leaked from default-domain:test:b by " + p.fqName());
    assertThat(details(there)).contains("MATCH    " + p.fqName() + " rule 1");

    Verdict back = verdict(tcp(b1, a1, 80));
    assertThat(back.delivered()).isFalse();
    assertThat(back.reason())
        .isEqualTo("denied leaving default-domain:test:b by implicit deny (no rule passes it)");
    assertThat(details(back)).contains("no match " + p.fqName() + " rule 1");
  }

  @Test
  void theReplyOfAnAllowedFlowPassesInTheSameSessionOnly() {
    setUp();
    join("ab", a, b, pass(a, ">", b));
    Packet out = tcp(a1, b1, 80);
    Packet reply = out.reply(b1.id());

    try (Dataplane.Session session = model.open()) {
      Verdict first = session.send(out);
      assertThat(first.delivered()).isTrue();
      assertThat(first.steps()).last().extracting(Step::stage).isEqualTo("flow");

      Verdict answer = session.send(reply);
      assertThat(answer.delivered()).isTrue();
      assertThat(answer.destinationInterface()).isEqualTo(a1.id());
      assertThat(answer.reason()).startsWith("reply of the allowed flow tcp 10.1.0.1:40000");
      assertThat(answer.steps()).extracting(Step::stage).containsExactly("flow", "deliver");

      // Further packets of the flow hit the table too.
      assertThat(session.send(out).reason()).startsWith("packet of the allowed flow");
    }
    try (Dataplane.Session other = model.open()) {
      assertThat(other.send(reply).delivered()).isFalse();
    }
    // A new flow from b, on another port, is still denied.
    try (Dataplane.Session session = model.open()) {
      session.send(out);
      assertThat(session.send(tcp(b1, a1, 80)).delivered()).isFalse();
    }
    assertThat(model.name()).isEqualTo("model");
  }

  @Test
  void aFlowWhoseInterfaceIsGoneNoLongerPasses() {
    setUp();
    Packet out = tcp(a1, a2, 80);
    try (Dataplane.Session session = model.open()) {
      assertThat(session.send(out).delivered()).isTrue();
      world.delete(a2.vmi());
      Verdict v = session.send(out);
      assertThat(v.delivered()).isFalse();
      assertThat(v.reason()).isEqualTo("an interface of the flow is gone");
    }
  }

  @Test
  void protocolAndPortsNarrowWhatARulePasses() {
    setUp();
    join("web", a, b, rule(Action.PASS, Protocol.TCP, net(a), null, ">", net(b), ports(80, 8080)));

    assertThat(verdict(tcp(a1, b1, 80)).delivered()).isTrue();
    assertThat(verdict(tcp(a1, b1, 8080)).delivered()).isTrue();
    assertThat(verdict(tcp(a1, b1, 443)).delivered()).isFalse();
    assertThat(verdict(packet(a1, Protocol.UDP, b1, 80)).delivered()).isFalse();
    assertThat(verdict(packet(a1, Protocol.ICMP, b1, 0)).delivered()).isFalse();
  }

  @Test
  void aDenyRuleBeforeAPassRuleWins() {
    setUp();
    NetworkPolicy p =
        join(
            "ab",
            a,
            b,
            rule(Action.DENY, Protocol.TCP, net(a), null, ">", net(b), ports(22)),
            pass(a, "<>", b));

    Verdict ssh = verdict(tcp(a1, b1, 22));
    assertThat(ssh.delivered()).isFalse();
    assertThat(ssh.reason())
        .isEqualTo(
            "denied leaving default-domain:test:a by "
                + p.fqName()
                + " rule 1: deny tcp default-domain:test:a port any > default-domain:test:b port"
                + " 22");
    assertThat(verdict(tcp(a1, b1, 80)).delivered()).isTrue();
    assertThat(verdict(tcp(b1, a1, 22)).delivered()).isTrue();
  }

  @Test
  void theDestinationNetworksAclDecidesOnTheWayIn() {
    setUp();
    NetworkPolicy ab = join("ab", a, b, pass(a, "<>", b));
    NetworkPolicy guard =
        policy("guard", rule(Action.DENY, Protocol.TCP, net(a), null, ">", net(b), ports(8080)));
    world.put(guard);
    world.put(linked(b, link(guard, 0), link(ab, 1)));

    Verdict v = verdict(tcp(a1, b1, 8080));
    assertThat(v.delivered()).isFalse();
    assertThat(v.reason()).startsWith("denied entering default-domain:test:b by " + guard.fqName());
    assertThat(stages(v)).contains("policy-out", "tunnel", "policy-in");
    assertThat(verdict(tcp(a1, b1, 80)).delivered()).isTrue();
  }

  @Test
  void aSpoofedSourceAddressIsDropped() {
    setUp();
    Packet spoofed = new Packet(a1.id(), Protocol.TCP, "10.1.0.2", 40000, a3.address(), 80);

    Verdict v = verdict(spoofed);
    assertThat(v.delivered()).isFalse();
    assertThat(v.reason())
        .isEqualTo(
            "source address 10.1.0.2 is not an address of ns-a/a1 (the vRouter drops spoofed"
                + " packets)");
  }

  @Test
  void anUnknownSourceInterfaceIsDropped() {
    setUp();
    UUID nobody = UUID.randomUUID();
    Verdict v = verdict(new Packet(nobody, Protocol.TCP, "10.1.0.1", 1, "10.1.0.2", 80));
    assertThat(v.delivered()).isFalse();
    assertThat(v.reason()).isEqualTo("no interface " + nobody + " is known");
  }

  @Test
  void unplacedPodsNeitherSendNorReceive() {
    setUp();
    Pod waiting = pod("ns-a", "waiting", a, null, "10.1.0.9");
    world.put(waiting);

    Verdict from = verdict(tcp(waiting, a1, 80));
    assertThat(from.delivered()).isFalse();
    assertThat(from.reason()).isEqualTo("ns-a/waiting is not on any node yet: no vRouter holds it");

    Verdict to = verdict(tcp(a1, waiting, 80));
    assertThat(to.delivered()).isFalse();
    assertThat(to.reason()).isEqualTo("ns-a/waiting is not on any node yet: no vRouter holds it");
    assertThat(stages(to)).contains("route", "policy-out").doesNotContain("tunnel");

    world.put(World.vm("ns-a", "waiting", node2));
    assertThat(verdict(tcp(a1, waiting, 80)).delivered()).isTrue();
  }

  @Test
  void aPodAlwaysReachesItself() {
    setUp();
    // Even in a network whose only policy denies everything.
    NetworkPolicy none = policy("none", deny(a, "<>", a));
    world.put(none, linked(a, link(none, 1)));

    Verdict v = verdict(tcp(a1, a1, 80));
    assertThat(v.delivered()).isTrue();
    assertThat(v.destinationInterface()).isEqualTo(a1.id());
    assertThat(v.reason()).isEqualTo("a pod always reaches itself");
    assertThat(stages(v)).containsExactly("source", "deliver");
    assertThat(verdict(tcp(a1, a2, 80)).delivered()).isFalse();
  }

  @Test
  void anAddressOfSeveralInterfacesIsSpreadOverThemByFlow() {
    setUp();
    world.put(ip("shared", "10.1.0.100", a, a2.vmi(), a3.vmi()));

    Set<UUID> chosen = new HashSet<>();
    for (int port = 40000; port < 40032; port++) {
      Packet p = new Packet(a1.id(), Protocol.TCP, a1.address(), port, "10.1.0.100", 80);
      Verdict v = verdict(p);
      assertThat(v.delivered()).isTrue();
      assertThat(v.steps()).anyMatch(s -> s.stage().equals("ecmp"));
      chosen.add(v.destinationInterface());
      // The same flow always picks the same member.
      assertThat(verdict(p).destinationInterface()).isEqualTo(v.destinationInterface());
    }
    // The kernel's choice: a hash of the addresses alone (jhash ip saddr . ip daddr), so one
    // source's flows all go to one member, the one Jhash names, in the members' stable order.
    int index = dev.weft.control.Jhash.backend(a1.address(), "10.1.0.100", 2);
    List<UUID> order = new ArrayList<>(List.of(a2.id(), a3.id()));
    order.sort(null);
    assertThat(chosen).containsExactly(order.get(index));
  }

  @Test
  void ipv6PodsAreForwardedLikeIpv4Ones() {
    setUp();
    world.put(ip("a1-v6", "fd00::1", a, a1.vmi()), ip("a3-v6", "fd00::3", a, a3.vmi()));

    Packet p = new Packet(a1.id(), Protocol.UDP, "fd00::1", 5353, "fd00::3", 53);
    Verdict v = verdict(p);
    assertThat(v.delivered()).isTrue();
    assertThat(v.destinationInterface()).isEqualTo(a3.id());
    assertThat(p.describe()).isEqualTo("udp [fd00::1]:5353 -> [fd00::3]:53");
  }

  /** A pool on network {@code pub} and a floating IP from it on {@code targets}. */
  private dev.weft.model.FloatingIp floatingIp(VirtualNetwork pub, String address, Pod... targets) {
    dev.weft.model.FloatingIpPool pool =
        new dev.weft.model.FloatingIpPool(
            World.uuid("pool", pub.fqName().toString()),
            pub.fqName().child("pool"),
            dev.weft.model.Ref.to(pub),
            java.util.Map.of(),
            List.of(dev.weft.model.IpPrefix.parse("192.0.2.0/24")));
    dev.weft.model.FloatingIp fip =
        new dev.weft.model.FloatingIp(
            World.uuid("fip", address),
            pool.fqName().child(address),
            dev.weft.model.Ref.to(pool),
            java.util.Map.of(),
            address,
            java.util.Arrays.stream(targets).map(t -> dev.weft.model.Ref.to(t.vmi())).toList(),
            null);
    world.put(pool);
    world.put(fip);
    return fip;
  }

  private static Packet tcpTo(Pod from, String address, int port) {
    return new Packet(from.id(), Protocol.TCP, from.address(), 40000, address, port);
  }

  @Test
  void aFloatingIpIsTranslatedToItsPodOnTheReceivingNodeAndTheReplyBack() {
    setUp();
    VirtualNetwork pub = network("pub");
    world.put(pub);
    floatingIp(pub, "192.0.2.10", b1);

    // Not joined to the floating IP's network: no route to it.
    assertThat(verdict(tcpTo(a1, "192.0.2.10", 80)).delivered()).isFalse();

    join("a-pub", a, pub, pass(a, "<>", pub));
    Verdict v = verdict(tcpTo(a1, "192.0.2.10", 80));
    assertThat(v.delivered()).as(details(v)).isTrue();
    assertThat(v.destinationInterface()).isEqualTo(b1.id());
    assertThat(v.deliveredAs()).isEqualTo("10.2.0.1");
    assertThat(stages(v)).containsSubsequence("route", "policy-out", "tunnel", "nat", "policy-in");
    assertThat(details(v)).contains("destination NAT on node-2: 192.0.2.10 -> 10.2.0.1");
    assertThat(v.reason()).endsWith("through floating IP 192.0.2.10");
    assertThat(quick(tcpTo(a1, "192.0.2.10", 80)).deliveredAs()).isEqualTo("10.2.0.1");

    // The pod answers from its own address; the session's flow translates it back.
    try (Dataplane.Session session = model.open()) {
      Packet first = tcpTo(a1, "192.0.2.10", 80);
      assertThat(session.send(first).delivered()).isTrue();
      Packet reply = new Packet(b1.id(), Protocol.TCP, "10.2.0.1", 80, a1.address(), 40000);
      Verdict back = session.send(reply);
      assertThat(back.delivered()).isTrue();
      assertThat(back.destinationInterface()).isEqualTo(a1.id());
      assertThat(details(back)).contains("source NAT back: 10.2.0.1:80 -> 192.0.2.10:80");
      // Without the flow, b1 cannot open a connection into a's network.
      assertThat(verdict(reply).delivered()).isFalse();
    }
  }

  @Test
  void aFloatingIpOnSeveralInterfacesIsAnEcmpRouteWithNatToEachMember() {
    setUp();
    VirtualNetwork pub = network("pub");
    world.put(pub);
    floatingIp(pub, "192.0.2.20", b1, c1);
    join("a-pub", a, pub, pass(a, "<>", pub));
    java.util.Set<java.util.UUID> reached = new java.util.HashSet<>();
    java.util.Set<String> as = new java.util.HashSet<>();
    for (int port = 1000; port < 1064; port++) {
      Verdict v = quick(new Packet(a1.id(), Protocol.TCP, a1.address(), port, "192.0.2.20", 80));
      assertThat(v.delivered()).isTrue();
      reached.add(v.destinationInterface());
      as.add(v.deliveredAs());
    }
    // One source's flows all take the member the hash of the addresses names (as the kernel's
    // jhash ip saddr . ip daddr does); each member is reached when asked for.
    assertThat(reached).hasSize(1).isSubsetOf(b1.id(), c1.id());
    assertThat(as).hasSize(1).isSubsetOf("10.2.0.1", "10.3.0.1");
    java.util.Set<java.util.UUID> each = new java.util.HashSet<>();
    for (int k = 0; k < 2; k++) {
      Packet p = new Packet(a1.id(), Protocol.TCP, a1.address(), 1000, "192.0.2.20", 80);
      int member = k;
      each.add(
          world.read(v -> ForwardingModel.evaluate(v, p, null, member)).destinationInterface());
    }
    assertThat(each).containsExactlyInAnyOrder(b1.id(), c1.id());
    assertThat(details(verdict(tcpTo(a1, "192.0.2.20", 80)))).contains("ECMP over 2 next hops");
  }

  @Test
  void aFloatingIpFollowsItsPodAndGoesWithIt() {
    setUp();
    VirtualNetwork pub = network("pub");
    world.put(pub);
    dev.weft.model.FloatingIp fip = floatingIp(pub, "192.0.2.30", b1);
    join("a-pub", a, pub, pass(a, "<>", pub));
    assertThat(verdict(tcpTo(a1, "192.0.2.30", 80)).delivered()).isTrue();
    world.delete(fip);
    assertThat(verdict(tcpTo(a1, "192.0.2.30", 80)).delivered()).isFalse();
  }
}
