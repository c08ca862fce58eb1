package dev.weft.control;

import static dev.weft.control.World.deny;
import static dev.weft.control.World.link;
import static dev.weft.control.World.linked;
import static dev.weft.control.World.net;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pass;
import static dev.weft.control.World.policy;
import static dev.weft.control.World.ports;
import static dev.weft.control.World.rule;
import static dev.weft.control.World.subnet;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.model.Action;
import dev.weft.model.AddressMatch;
import dev.weft.model.FqName;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.PortRange;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualNetwork;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** How a network's attached policies compile into its ACL, and how the ACL decides. */
class AclCompilationTest {
  private final World world = new World();
  private final VirtualNetwork a = network("a");
  private final VirtualNetwork b = network("b");
  private final VirtualNetwork c = network("c");

  @AfterEach
  void close() {
    world.close();
  }

  private static Acl.Decision decide(
      Acl acl,
      VirtualNetwork from,
      String source,
      VirtualNetwork to,
      String destination,
      Protocol protocol,
      int sourcePort,
      int destinationPort) {
    return acl.decide(
        from.fqName(), source, to.fqName(), destination, protocol, sourcePort, destinationPort);
  }

  private static Acl.Decision tcp(Acl acl, VirtualNetwork from, VirtualNetwork to, int port) {
    return decide(acl, from, "10.0.0.1", to, "10.0.0.2", Protocol.TCP, 40000, port);
  }

  @Test
  void entriesFollowLinkSequenceThenPolicyNameThenRuleOrder() {
    NetworkPolicy first = policy("z-first", pass(a, ">", b), deny(a, ">", c));
    NetworkPolicy second = policy("b-second", pass(a, ">", c));
    NetworkPolicy third = policy("c-third", deny(a, ">", b));
    world.put(first, second, third);
    world.put(linked(a, link(third, 2), link(second, 2), link(first, 1)));

    Acl acl = world.acl(a);

    assertThat(acl.policies()).containsExactly(first.fqName(), second.fqName(), third.fqName());
    assertThat(acl.entries())
        .extracting(e -> e.policy().name() + "#" + e.rule())
        .containsExactly("z-first#1", "z-first#2", "b-second#1", "c-third#1");
  }

  @Test
  void firstMatchingEntryDecides() {
    NetworkPolicy p =
        policy(
            "p",
            rule(Action.DENY, Protocol.TCP, net(a), null, ">", net(b), ports(80)),
            pass(a, "<>", b),
            deny(a, "<>", b));
    world.put(p, linked(a, link(p, 1)), linked(b, link(p, 1)));
    Acl acl = world.acl(a);

    Acl.Decision http = tcp(acl, a, b, 80);
    assertThat(http.action()).isEqualTo(Action.DENY);
    assertThat(http.basis()).isEqualTo(Acl.Basis.RULE);
    assertThat(http.entryIndex()).isZero();
    assertThat(http.entry().rule()).isEqualTo(1);

    Acl.Decision https = tcp(acl, a, b, 443);
    assertThat(https.action()).isEqualTo(Action.PASS);
    assertThat(https.entry().rule()).isEqualTo(2);
    assertThat(https.entryIndex()).isEqualTo(1);
  }

  @Test
  void denyRuleBeforePassRuleWinsAndPassBeforeDenyWins() {
    NetworkPolicy denyFirst = policy("deny-first", deny(a, "<>", b), pass(a, "<>", b));
    NetworkPolicy passFirst = policy("pass-first", pass(a, "<>", c), deny(a, "<>", c));
    world.put(denyFirst, passFirst, linked(a, link(denyFirst, 1), link(passFirst, 2)));
    Acl acl = world.acl(a);

    assertThat(tcp(acl, a, b, 80).passes()).isFalse();
    assertThat(tcp(acl, a, c, 80).passes()).isTrue();
  }

  @Test
  void bothWaysRuleAddsReverseEntryWithEndsAndPortsSwapped() {
    NetworkPolicy p =
        policy(
            "p",
            rule(
                Action.PASS,
                Protocol.TCP,
                net(a),
                List.of(new PortRange(1000, 2000)),
                "<>",
                net(b),
                ports(80)));
    world.put(p, linked(a, link(p, 1)));
    Acl acl = world.acl(a);

    assertThat(acl.entries()).hasSize(2);
    AclEntry forward = acl.entries().get(0);
    AclEntry reverse = acl.entries().get(1);
    assertThat(forward.reversed()).isFalse();
    assertThat(reverse.reversed()).isTrue();
    assertThat(reverse.rule()).isEqualTo(1);
    assertThat(reverse.source()).isEqualTo(net(b));
    assertThat(reverse.destination()).isEqualTo(net(a));
    assertThat(reverse.sourcePorts()).containsExactly(PortRange.of(80));
    assertThat(reverse.destinationPorts()).containsExactly(new PortRange(1000, 2000));
    assertThat(reverse.toString()).contains("(reverse)");

    // a:1500 -> b:80 matches the rule as written; b:80 -> a:1500 matches its reverse.
    Acl.Decision out = decide(acl, a, "10.0.0.1", b, "10.0.1.1", Protocol.TCP, 1500, 80);
    assertThat(out.entryIndex()).isZero();
    Acl.Decision back = decide(acl, b, "10.0.1.1", a, "10.0.0.1", Protocol.TCP, 80, 1500);
    assertThat(back.entryIndex()).isEqualTo(1);
    assertThat(back.passes()).isTrue();
    // b:1500 -> a:80 is neither: the ports are not swapped back.
    Acl.Decision wrongPorts = decide(acl, b, "10.0.1.1", a, "10.0.0.1", Protocol.TCP, 1500, 80);
    assertThat(wrongPorts.basis()).isEqualTo(Acl.Basis.IMPLICIT_DENY);
  }

  @Test
  void oneWayRuleHasNoReverseEntry() {
    NetworkPolicy p = policy("p", pass(a, ">", b));
    world.put(p, linked(a, link(p, 1)));
    Acl acl = world.acl(a);

    assertThat(acl.entries()).hasSize(1);
    assertThat(tcp(acl, a, b, 80).passes()).isTrue();
    assertThat(tcp(acl, b, a, 80).passes()).isFalse();
  }

  @Test
  void trafficWithinTheNetworkPassesWhenNoEntryMatches() {
    NetworkPolicy p = policy("p", pass(a, ">", b));
    world.put(p, linked(a, link(p, 1)));

    Acl.Decision d = tcp(world.acl(a), a, a, 80);

    assertThat(d.passes()).isTrue();
    assertThat(d.basis()).isEqualTo(Acl.Basis.SAME_NETWORK);
    assertThat(d.entry()).isNull();
    assertThat(d.entryIndex()).isEqualTo(-1);
  }

  @Test
  void aDenyRuleCanStillBlockTrafficWithinTheNetwork() {
    NetworkPolicy p = policy("p", deny(a, "<>", a));
    world.put(p, linked(a, link(p, 1)));

    assertThat(tcp(world.acl(a), a, a, 80).basis()).isEqualTo(Acl.Basis.RULE);
    assertThat(tcp(world.acl(a), a, a, 80).passes()).isFalse();
  }

  @Test
  void networkWithPoliciesDeniesWhatNoRulePasses() {
    NetworkPolicy p = policy("p", pass(a, "<>", b));
    world.put(p, linked(a, link(p, 1)));

    Acl.Decision d = tcp(world.acl(a), a, c, 80);

    assertThat(d.passes()).isFalse();
    assertThat(d.basis()).isEqualTo(Acl.Basis.IMPLICIT_DENY);
  }

  @Test
  void networkWithoutPolicyPassesEverything() {
    world.put(a);
    Acl acl = world.acl(a);

    assertThat(acl.entries()).isEmpty();
    assertThat(acl.policies()).isEmpty();
    Acl.Decision d = tcp(acl, a, c, 80);
    assertThat(d.passes()).isTrue();
    assertThat(d.basis()).isEqualTo(Acl.Basis.NO_POLICY);
  }

  @Test
  void attachedPolicyMissingFromTheStoreStillDeniesTheRest() {
    NetworkPolicy p = policy("later", pass(a, "<>", b));
    world.put(linked(a, link(p, 1)));

    Acl acl = world.acl(a);
    assertThat(acl.missing()).containsExactly(p.fqName());
    assertThat(acl.policies()).isEmpty();
    assertThat(tcp(acl, a, b, 80).basis()).isEqualTo(Acl.Basis.IMPLICIT_DENY);

    world.put(p);
    acl = world.acl(a);
    assertThat(acl.missing()).isEmpty();
    assertThat(acl.policies()).containsExactly(p.fqName());
    assertThat(tcp(acl, a, b, 80).passes()).isTrue();

    world.delete(p);
    assertThat(world.acl(a).missing()).containsExactly(p.fqName());
    assertThat(world.acl(a).entries()).isEmpty();
  }

  @Test
  void changingAPolicyRecompilesEveryNetworkItIsAttachedTo() {
    NetworkPolicy p = policy("p", pass(a, "<>", b));
    world.put(p, linked(a, link(p, 1)), linked(b, link(p, 1)), c);
    NetworkPolicy changed = policy("p", deny(a, "<>", b), pass(a, "<>", c));
    world.put(changed);

    for (VirtualNetwork n : List.of(a, b)) {
      assertThat(world.acl(n).entries())
          .extracting(AclEntry::written)
          .containsExactly(
              changed.rules().get(0),
              changed.rules().get(0),
              changed.rules().get(1),
              changed.rules().get(1));
    }
    assertThat(world.acl(c).entries()).isEmpty();
  }

  @Test
  void detachingAPolicyEmptiesTheAcl() {
    NetworkPolicy p = policy("p", pass(a, "<>", b));
    world.put(p, linked(a, link(p, 1)));
    world.put(linked(a));

    Acl acl = world.acl(a);
    assertThat(acl.entries()).isEmpty();
    assertThat(acl.policies()).isEmpty();
    assertThat(tcp(acl, a, b, 80).basis()).isEqualTo(Acl.Basis.NO_POLICY);
  }

  @Test
  void protocolAndPortsNarrowARule() {
    NetworkPolicy p =
        policy(
            "p",
            rule(
                Action.PASS,
                Protocol.TCP,
                net(a),
                null,
                ">",
                net(b),
                List.of(PortRange.of(80), new PortRange(8000, 8080))));
    world.put(p, linked(a, link(p, 1)));
    Acl acl = world.acl(a);

    assertThat(tcp(acl, a, b, 80).passes()).isTrue();
    assertThat(tcp(acl, a, b, 8000).passes()).isTrue();
    assertThat(tcp(acl, a, b, 8080).passes()).isTrue();
    assertThat(tcp(acl, a, b, 8081).passes()).isFalse();
    assertThat(tcp(acl, a, b, 81).passes()).isFalse();
    assertThat(decide(acl, a, "10.0.0.1", b, "10.0.0.2", Protocol.UDP, 40000, 80).passes())
        .isFalse();
    // ICMP has no ports, and a TCP rule does not match it.
    assertThat(decide(acl, a, "10.0.0.1", b, "10.0.0.2", Protocol.ICMP, 0, 0).passes()).isFalse();
  }

  @Test
  void anyProtocolRuleMatchesIcmpWhateverItsPorts() {
    NetworkPolicy p =
        policy("p", rule(Action.PASS, Protocol.ANY, net(a), null, ">", net(b), ports(80)));
    world.put(p, linked(a, link(p, 1)));

    assertThat(decide(world.acl(a), a, "10.0.0.1", b, "10.0.0.2", Protocol.ICMP, 0, 0).basis())
        .isEqualTo(Acl.Basis.RULE);
  }

  @Test
  void subnetAndAnyEndsMatchByAddress() {
    NetworkPolicy p =
        policy(
            "p",
            rule(Action.DENY, subnet("10.9.0.0/16"), ">", AddressMatch.ANY),
            rule(Action.PASS, AddressMatch.ANY, ">", subnet("fd00:1::/64")),
            rule(Action.PASS, subnet("10.0.0.0/8"), ">", AddressMatch.ANY));
    world.put(p, linked(a, link(p, 1)));
    Acl acl = world.acl(a);

    assertThat(decide(acl, a, "10.9.1.1", b, "10.1.0.1", Protocol.TCP, 1, 80).action())
        .isEqualTo(Action.DENY);
    assertThat(decide(acl, a, "10.8.1.1", b, "10.1.0.1", Protocol.TCP, 1, 80).entryIndex())
        .isEqualTo(2);
    assertThat(decide(acl, a, "fd00:2::1", b, "fd00:1::5", Protocol.TCP, 1, 80).entryIndex())
        .isEqualTo(1);
    assertThat(decide(acl, a, "fd00:2::1", b, "fd00:2::5", Protocol.TCP, 1, 80).basis())
        .isEqualTo(Acl.Basis.IMPLICIT_DENY);
    // An address of the other family is never in the subnet.
    assertThat(decide(acl, a, "172.16.0.1", b, "10.1.0.1", Protocol.TCP, 1, 80).basis())
        .isEqualTo(Acl.Basis.IMPLICIT_DENY);
  }

  @Test
  void deletingTheNetworkRemovesItsVrf() {
    NetworkPolicy p = policy("p", pass(a, "<>", b));
    world.put(p, linked(a, link(p, 1)));
    world.delete(a);

    Vrf gone = world.read(v -> v.vrf(a.fqName()));
    List<FqName> left = world.read(v -> v.vrfs().stream().map(Vrf::network).toList());
    assertThat(gone).isNull();
    assertThat(left).doesNotContain(a.fqName());
  }

  @Test
  void aVrfIsNamedAfterItsNetwork() {
    world.put(a);
    FqName name = world.read(v -> v.vrf(a.fqName()).network());
    Vrf none = world.read(v -> v.vrf(FqName.of("no", "such")));
    assertThat(name).isEqualTo(a.fqName());
    assertThat(world.acl(a).network()).isEqualTo(a.fqName());
    assertThat(none).isNull();
  }
}
