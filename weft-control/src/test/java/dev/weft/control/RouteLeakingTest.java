package dev.weft.control;

import static dev.weft.control.World.deny;
import static dev.weft.control.World.link;
import static dev.weft.control.World.linked;
import static dev.weft.control.World.net;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pass;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.policy;
import static dev.weft.control.World.router;
import static dev.weft.control.World.rule;
import static dev.weft.control.World.subnet;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.control.World.Pod;
import dev.weft.model.Action;
import dev.weft.model.AddressMatch;
import dev.weft.model.FqName;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which routes a VRF holds: its own interfaces' host routes, and those of networks joined to it by
 * a policy attached to both with a pass rule naming both.
 */
class RouteLeakingTest {
  private final World world = new World();
  private final VirtualRouter node = router("node-1", "192.168.0.1");
  private final VirtualNetwork a = network("a");
  private final VirtualNetwork b = network("b");
  private final VirtualNetwork c = network("c");
  private final Pod podA = pod("ns-a", "pa", a, node, "10.1.0.1");
  private final Pod podB = pod("ns-b", "pb", b, node, "10.2.0.1");
  private final Pod podC = pod("ns-c", "pc", c, node, "10.3.0.1");

  @BeforeEach
  void pods() {
    world.put(node, a, b, c);
    world.put(podA, podB, podC);
  }

  @AfterEach
  void close() {
    world.close();
  }

  private void attach(NetworkPolicy p, VirtualNetwork... networks) {
    world.put(p);
    for (VirtualNetwork n : networks) {
      world.put(linked(n, link(p, 1)));
    }
  }

  @Test
  void withoutPoliciesAVrfHoldsOnlyItsOwnRoutes() {
    assertThat(world.routes(a)).extracting(r -> r.prefix().cidr()).containsExactly("10.1.0.1/32");
    assertThat(world.routes(a).get(0).origin()).isEqualTo(a.fqName());
    assertThat(world.lookup(a, podA.address()).nextHop())
        .isEqualTo(new NextHop.Interface(podA.id(), "node-1", "192.168.0.1"));
    assertThat(world.lookup(a, podB.address())).isNull();
    assertThat(world.imports(a)).isEmpty();
  }

  @Test
  void passRuleNamingBothNetworksAttachedToBothLeaksRoutesBothWays() {
    NetworkPolicy p = policy("p", pass(a, ">", b));
    attach(p, a, b);

    assertThat(world.imports(a)).isEqualTo(Map.of(b.fqName(), List.of(p.fqName())));
    assertThat(world.imports(b)).isEqualTo(Map.of(a.fqName(), List.of(p.fqName())));
    assertThat(world.routes(a))
        .extracting(r -> r.prefix().cidr() + " from " + r.origin().name())
        .containsExactly("10.1.0.1/32 from a", "10.2.0.1/32 from b");
    assertThat(world.lookup(a, podB.address()).origin()).isEqualTo(b.fqName());
    assertThat(world.lookup(b, podA.address()).origin()).isEqualTo(a.fqName());
    assertThat(world.lookup(a, podC.address())).isNull();
  }

  @Test
  void policyAttachedToOneSideOnlyDoesNotLeak() {
    NetworkPolicy p = policy("p", pass(a, "<>", b));
    attach(p, a);

    assertThat(world.imports(a)).isEmpty();
    assertThat(world.imports(b)).isEmpty();
    assertThat(world.lookup(a, podB.address())).isNull();
  }

  @Test
  void denyRuleDoesNotLeak() {
    attach(policy("p", deny(a, "<>", b)), a, b);

    assertThat(world.imports(a)).isEmpty();
    assertThat(world.lookup(a, podB.address())).isNull();
  }

  @Test
  void ruleWithAnAnyOrSubnetEndDoesNotLeak() {
    attach(
        policy(
            "p",
            rule(Action.PASS, AddressMatch.ANY, "<>", net(b)),
            rule(Action.PASS, net(a), "<>", AddressMatch.ANY),
            rule(Action.PASS, net(a), "<>", subnet("10.2.0.0/16"))),
        a,
        b);

    assertThat(world.imports(a)).isEmpty();
    assertThat(world.imports(b)).isEmpty();
  }

  @Test
  void ruleNamingOneNetworkTwiceDoesNotLeak() {
    attach(policy("p", pass(a, "<>", a)), a, b);

    assertThat(world.imports(a)).isEmpty();
  }

  @Test
  void leakingIsNotTransitive() {
    NetworkPolicy ab = policy("ab", pass(a, "<>", b));
    NetworkPolicy bc = policy("bc", pass(b, "<>", c));
    world.put(ab, bc);
    world.put(linked(a, link(ab, 1)), linked(b, link(ab, 1), link(bc, 2)), linked(c, link(bc, 1)));

    assertThat(world.imports(a).keySet()).containsExactly(b.fqName());
    assertThat(world.imports(b).keySet()).containsExactlyInAnyOrder(a.fqName(), c.fqName());
    assertThat(world.imports(c).keySet()).containsExactly(b.fqName());
    assertThat(world.lookup(a, podC.address())).isNull();
    assertThat(world.lookup(c, podA.address())).isNull();
    assertThat(world.lookup(b, podC.address()).origin()).isEqualTo(c.fqName());
  }

  @Test
  void importsNameEveryPolicyThatJoinsTheNetworks() {
    NetworkPolicy p1 = policy("p1", pass(a, ">", b));
    NetworkPolicy p2 = policy("p2", pass(b, "<>", a));
    world.put(p1, p2);
    world.put(linked(a, link(p1, 1), link(p2, 2)), linked(b, link(p2, 1), link(p1, 2)));

    assertThat(world.imports(a)).isEqualTo(Map.of(b.fqName(), List.of(p1.fqName(), p2.fqName())));
    assertThat(world.imports(b)).isEqualTo(Map.of(a.fqName(), List.of(p2.fqName(), p1.fqName())));
  }

  @Test
  void detachingOrDeletingThePolicyStopsLeaking() {
    NetworkPolicy p = policy("p", pass(a, "<>", b));
    attach(p, a, b);
    world.put(linked(b));
    assertThat(world.imports(a)).isEmpty();
    assertThat(world.imports(b)).isEmpty();

    world.put(linked(b, link(p, 1)));
    assertThat(world.imports(a)).containsKey(b.fqName());
    world.delete(p);
    assertThat(world.imports(a)).isEmpty();
    assertThat(world.imports(b)).isEmpty();
    assertThat(world.lookup(a, podB.address())).isNull();
  }

  @Test
  void changingTheRuleToDenyStopsLeaking() {
    attach(policy("p", pass(a, "<>", b)), a, b);
    world.put(policy("p", deny(a, "<>", b)));

    assertThat(world.imports(a)).isEmpty();
    assertThat(world.imports(b)).isEmpty();
  }

  @Test
  void aNetworkCreatedLaterJoinsOnceItAttachesThePolicy() {
    VirtualNetwork d = network("d");
    NetworkPolicy p = policy("p", pass(a, "<>", d));
    attach(p, a);
    assertThat(world.imports(a)).isEmpty();

    world.put(linked(d, link(p, 1)));
    Pod podD = pod("ns-d", "pd", d, node, "10.4.0.1");
    world.put(podD);
    assertThat(world.imports(a)).isEqualTo(Map.of(d.fqName(), List.of(p.fqName())));
    assertThat(world.lookup(a, podD.address()).origin()).isEqualTo(d.fqName());

    world.delete(d);
    assertThat(world.imports(a)).isEmpty();
    assertThat(world.lookup(a, podD.address())).isNull();
  }

  @Test
  void deletingAnInterfaceRemovesItsRouteFromEveryVrfThatHadIt() {
    attach(policy("p", pass(a, "<>", b)), a, b);
    assertThat(world.lookup(a, podB.address())).isNotNull();

    world.delete(podB.vmi());
    assertThat(world.lookup(b, podB.address())).isNull();
    assertThat(world.lookup(a, podB.address())).isNull();
    assertThat(world.routes(a)).extracting(Route::origin).containsOnly(a.fqName());
  }

  @Test
  void deletingAnInstanceIpRemovesItsRoute() {
    world.delete(podA.ip());
    assertThat(world.routes(a)).isEmpty();
    assertThat(world.lookup(a, podA.address())).isNull();
  }

  @Test
  void ownRouteWinsOverALeakedRouteForTheSameAddress() {
    Pod twin = pod("ns-b", "twin", b, node, podA.address());
    world.put(twin);
    attach(policy("p", pass(a, "<>", b)), a, b);

    assertThat(world.lookup(a, podA.address()).origin()).isEqualTo(a.fqName());
    assertThat(world.lookup(b, podA.address()).origin()).isEqualTo(b.fqName());
  }

  @Test
  void anAddressClaimedByTwoInterfacesOfOneNetworkIsAnEcmpRouteInInterfaceOrder() {
    Pod other = pod("ns-a", "other", a, router("node-2", "192.168.0.2"), "10.1.0.9");
    world.put(router("node-2", "192.168.0.2"));
    world.put(other);
    world.put(World.ip("shared", "10.1.0.100", a, podA.vmi(), other.vmi()));

    Route r = world.lookup(a, "10.1.0.100");
    assertThat(r.nextHop()).isInstanceOf(NextHop.Ecmp.class);
    List<NextHop.Interface> members = ((NextHop.Ecmp) r.nextHop()).members();
    assertThat(members)
        .extracting(NextHop.Interface::interfaceUuid)
        .containsExactlyElementsOf(
            podA.id().compareTo(other.id()) < 0
                ? List.of(podA.id(), other.id())
                : List.of(other.id(), podA.id()));

    world.delete(other.vmi());
    assertThat(world.lookup(a, "10.1.0.100").nextHop())
        .isEqualTo(new NextHop.Interface(podA.id(), "node-1", "192.168.0.1"));
  }

  @Test
  void routesAreSortedOwnFirstThenByLeakingNetwork() {
    NetworkPolicy p = policy("p", pass(a, "<>", b), pass(a, "<>", c));
    world.put(pod("ns-a", "pa2", a, node, "10.1.0.0"));
    attach(p, a, b, c);

    assertThat(world.routes(a))
        .extracting(r -> r.origin().name() + " " + r.prefix().cidr())
        .containsExactly("a 10.1.0.0/32", "a 10.1.0.1/32", "b 10.2.0.1/32", "c 10.3.0.1/32");
    assertThat(world.imports(a).keySet()).containsExactly(b.fqName(), c.fqName());
    assertThat(world.imports(b).keySet()).containsExactly(a.fqName());
    FqName none = FqName.of("x");
    assertThat(world.imports(a)).doesNotContainKey(none);
  }
}
