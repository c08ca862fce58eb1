package dev.weft.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.agent.linux.NodeState.FdbEntry;
import dev.weft.agent.linux.NodeState.Hop;
import dev.weft.agent.linux.NodeState.IpRoute;
import dev.weft.agent.linux.NodeState.IpRule;
import dev.weft.agent.linux.NodeState.Neighbor;
import dev.weft.agent.linux.NodeState.Network;
import dev.weft.agent.linux.NodeState.RouteType;
import dev.weft.control.Compiler;
import dev.weft.control.World;
import dev.weft.model.FqName;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The renderer over the {@link Scenario}: what each node's kernel should hold, as values. */
class NodeRendererTest {
  private final Scenario s = new Scenario().build();

  @AfterEach
  void close() {
    s.close();
  }

  private static List<IpRoute> table(NodeState state, FqName network) {
    int t = state.network(network).table();
    return state.routes().stream().filter(r -> r.table() == t).toList();
  }

  private static IpRoute route(NodeState state, FqName network, String prefix) {
    return table(state, network).stream()
        .filter(r -> r.prefix().equals(prefix))
        .findFirst()
        .orElse(null);
  }

  @Test
  void localPodsAreRoutedToTheirVethAndRemoteOnesThroughTheNetworksVxlanDevice() {
    NodeState n1 = s.render(Scenario.NODE1);
    Network red = n1.network(s.red.fqName());
    String xa = n1.pod(s.xa.id()).hostDevice();
    assertThat(route(n1, s.red.fqName(), "10.32.0.1/32").hops())
        .containsExactly(new Hop(null, xa, false));
    assertThat(route(n1, s.red.fqName(), "10.32.0.2/32").hops())
        .containsExactly(new Hop(Scenario.NODE2_ADDRESS, red.device(), true));
    String vtep2 = Naming.vtepMac(Scenario.NODE2);
    assertThat(n1.neighbors()).contains(new Neighbor(red.device(), Scenario.NODE2_ADDRESS, vtep2));
    assertThat(n1.neighbors()).contains(new Neighbor(xa, s.xa.address(), s.xa.vmi().macAddress()));
    assertThat(n1.fdb()).contains(new FdbEntry(red.device(), vtep2, Scenario.NODE2_ADDRESS));
    assertThat(n1.rules())
        .contains(
            new IpRule(4, Naming.IIF_RULE_PRIORITY, xa, 0, 0, red.table()),
            new IpRule(4, Naming.IIF_RULE_PRIORITY, red.device(), 0, 0, red.table()),
            new IpRule(
                4, Naming.MARK_RULE_PRIORITY, null, red.vni(), Naming.MARK_MASK, red.table()));
  }

  @Test
  void aTableHoldsTheRoutesLeakedIntoItsNetworkSentWithItsOwnVni() {
    NodeState n1 = s.render(Scenario.NODE1);
    Network red = n1.network(s.red.fqName());
    // blue's y/b in red's table, through red's VXLAN device: the receiving node routes it in red's
    // table too, where it is (leaked) as well.
    assertThat(route(n1, s.red.fqName(), "10.40.0.2/32").hops())
        .containsExactly(new Hop(Scenario.NODE2_ADDRESS, red.device(), true));
    NodeState n2 = s.render(Scenario.NODE2);
    assertThat(route(n2, s.red.fqName(), "10.40.0.2/32").hops())
        .containsExactly(new Hop(null, n2.pod(s.yb.id()).hostDevice(), false));
  }

  @Test
  void anIsolatedNetworkHasOnlyItsOwnRoutesAndEndsUnreachable() {
    NodeState n2 = s.render(Scenario.NODE2);
    assertThat(table(n2, s.green.fqName()))
        .extracting(IpRoute::prefix, IpRoute::type)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple("0.0.0.0/0", RouteType.UNREACHABLE),
            org.assertj.core.groups.Tuple.tuple("10.50.0.1/32", RouteType.UNICAST));
    assertThat(s.render(Scenario.NODE1).network(s.green.fqName())).isNull();
    for (NodeState n : List.of(n2, s.render(Scenario.NODE1))) {
      for (Network net : n.networks()) {
        assertThat(route(n, net.network(), "0.0.0.0/0"))
            .isEqualTo(
                new IpRoute(
                    4,
                    net.table(),
                    "0.0.0.0/0",
                    RouteType.UNREACHABLE,
                    List.of(),
                    Naming.UNREACHABLE_METRIC));
      }
    }
  }

  @Test
  void aServiceIsOneDnatElementPerSourceNetworkAndOnePerBackendWithoutARoute() {
    NodeState n1 = s.render(Scenario.NODE1);
    assertThat(route(n1, s.red.fqName(), Scenario.VIP + "/32")).isNull(); // nftables translates it
    int services = n1.network(s.services.fqName()).vni();
    String chain = "svc4_n2_" + Integer.toHexString(services);
    // red and blue pods on node-1 reach the VIP: one element each, to the chain for 2 backends.
    assertThat(n1.nft().set("svc4").elements())
        .extracting(Nft.Element::text)
        .containsExactlyInAnyOrder(
            n1.network(s.red.fqName()).vni() + " . " + Scenario.VIP + " . 6 . 80 : jump " + chain,
            n1.network(s.blue.fqName()).vni() + " . " + Scenario.VIP + " . 6 . 80 : jump " + chain,
            // web's floating IP, which red reaches through public (joined to red only)
            n1.network(s.red.fqName()).vni()
                + " . "
                + Scenario.WEB_FIP
                + " . 6 . 80 : jump svc4_n2_"
                + Integer.toHexString(n1.network(s.pub.fqName()).vni()));
    assertThat(n1.nft().set("svc_backends4").elements())
        .extracting(Nft.Element::text)
        .filteredOn(e -> e.contains(Scenario.VIP))
        .containsExactly(
            services + " . " + Scenario.VIP + " . 6 . 80 . 0 : 10.32.0.2 . 8080",
            services + " . " + Scenario.VIP + " . 6 . 80 . 1 : 10.32.0.3 . 8080");
    String mark = "0x" + Integer.toHexString(services);
    assertThat(n1.nft().chain(chain).rules())
        .containsExactly(
            "meta l4proto { tcp, udp, sctp } meta mark set jhash ip saddr . th sport . ip daddr ."
                + " th dport mod 2 seed 0x57656674 ct mark set "
                + mark
                + " dnat ip to ct mark ."
                + " ip daddr . meta l4proto . th dport . meta mark map @svc_backends4");
    // The service network is routed in on node-1 (its pods' translated flows), with a route to
    // each backend.
    assertThat(route(n1, s.services.fqName(), "10.32.0.2/32").hops())
        .containsExactly(
            new Hop(Scenario.NODE2_ADDRESS, n1.network(s.services.fqName()).device(), true));
    // Node port 30080 on node-1's address, to the same backends, routed in red (theirs).
    assertThat(n1.nft().set("nodeports").elements())
        .extracting(Nft.Element::text)
        .containsExactly("6 . 30080 : jump nodeport4_n2");
    // (with the marks of a flow from outside whose source is translated when it leaves for
    // another node)
    long red = n1.network(s.red.fqName()).vni() | Naming.EXTERNAL_MARK | Naming.MASQUERADE_MARK;
    assertThat(n1.nft().set("nodeport_nets").elements())
        .extracting(Nft.Element::text)
        .containsExactly("6 . 30080 . 0 : " + red, "6 . 30080 . 1 : " + red);
  }

  @Test
  void networkPolicyIsolatesTheSelectedPodOnItsOwnNode() {
    NodeState n2 = s.render(Scenario.NODE2);
    String xb = Nft.ifname(n2.pod(s.xb.id()).hostDevice());
    assertThat(n2.nft().set("np_in_iso").elements())
        .extracting(Nft.Element::keyText)
        .containsExactly(xb);
    assertThat(s.render(Scenario.NODE1).nft().set("np_in_iso").elements()).isEmpty();
    // x/a (pod=a of x) has an identity, and x/b admits it on tcp 8080.
    Nft.Element id =
        n2.nft().set("identity4").elements().stream()
            .filter(e -> e.keyText().equals(s.xa.address()))
            .findFirst()
            .orElseThrow();
    assertThat(n2.nft().set("np_in4").elements())
        .extracting(Nft.Element::keyText)
        .contains(xb + " . 0.0.0.0-255.255.255.255 . " + id.value() + " . 6 . 8080")
        // and the internet (ipBlock 0.0.0.0/0 except the private ranges: the outside host, not
        // the pods' or nodes' 10.0.0.0/8), whatever their identity
        .contains(
            xb
                + " . 11.0.0.0-172.15.255.255 . 0-"
                + (Long.parseLong(id.value()) - 1)
                + " . 6 . 8080",
            xb
                + " . 172.32.0.0-192.167.255.255 . 0-"
                + (Long.parseLong(id.value()) - 1)
                + " . 6 . 8080")
        .noneMatch(k -> k.contains(" . 10."));
  }

  @Test
  void renderingIsAPureFunctionOfTheCompiledState() {
    NodeState once = s.render(Scenario.NODE1);
    assertThat(s.render(Scenario.NODE1)).isEqualTo(once);
    List<AutoCloseable> toClose = new ArrayList<>();
    try {
      Compiler fresh = s.world.fresh(toClose);
      s.world.settle(s.world.compiler().revision());
      org.awaitility.Awaitility.await()
          .until(() -> fresh.revision() >= s.world.compiler().revision());
      NodeState again = fresh.read(v -> new NodeRenderer().render(v, Scenario.NODE1));
      assertThat(again).isEqualTo(once);
    } finally {
      for (AutoCloseable c : toClose) {
        try {
          c.close();
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }
    }
  }

  @Test
  void aNodeWithoutPodsOrNetworksHasNothing() {
    s.world.delete(s.xa.objects());
    s.world.delete(s.xc.objects());
    s.world.delete(s.ya.objects());
    // Its node port still brings the backends' network here: node-1 delivers what arrives on it.
    assertThat(s.render(Scenario.NODE1).networks())
        .extracting(Network::network)
        .containsExactly(s.red.fqName());
    s.world.delete(s.service());
    NodeState n1 = s.render(Scenario.NODE1);
    assertThat(n1.networks()).isEmpty();
    assertThat(n1.routes()).isEmpty();
    assertThat(n1.rules()).isEmpty();
    assertThat(n1.nft().isEmpty()).isTrue();
    assertThat(NodeState.empty(Scenario.NODE1).nft()).isEqualTo(n1.nft());
    assertThat(World.networkName("red")).isEqualTo(s.red.fqName());
  }
}
