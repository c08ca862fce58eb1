package dev.weft.dataplane;

import static dev.weft.control.World.exported;
import static dev.weft.control.World.floatingIp;
import static dev.weft.control.World.floatingIpPool;
import static dev.weft.control.World.labelled;
import static dev.weft.control.World.link;
import static dev.weft.control.World.linked;
import static dev.weft.control.World.listener;
import static dev.weft.control.World.loadbalancer;
import static dev.weft.control.World.member;
import static dev.weft.control.World.namespace;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pass;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.pool;
import static dev.weft.control.World.router;
import static dev.weft.control.policy.Policies.block;
import static dev.weft.control.policy.Policies.declared;
import static dev.weft.control.policy.Policies.from;
import static dev.weft.control.policy.Policies.labels;
import static dev.weft.control.policy.Policies.named;
import static dev.weft.control.policy.Policies.on;
import static dev.weft.control.policy.Policies.peers;
import static dev.weft.control.policy.Policies.pods;
import static dev.weft.control.policy.Policies.podsIn;
import static dev.weft.control.policy.Policies.policy;
import static dev.weft.control.policy.Policies.ports;
import static dev.weft.control.policy.Policies.rule;
import static dev.weft.control.policy.Policies.sel;
import static dev.weft.control.policy.Policies.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.control.policy.Policies;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Kubernetes NetworkPolicy in the forwarding model, after the virtual networks' decisions: egress
 * at the source pod and ingress at the destination pod, judged on the packet as the destination
 * receives it (a service's chosen backend and target port), outside hosts judged by their address,
 * replies of allowed flows let through, and traces that name the policy and rule.
 */
class NetworkPolicyForwardingTest {
  private static final String VIP = "10.96.0.10";
  private static final String FIP = "192.0.2.10";
  private static final String NODE1 = "192.168.0.1";
  private static final String OUTSIDE = Probe.EXTERNAL_V4;
  private static final String STRANGER = "198.51.100.1";

  private final World world = new World();
  private final VirtualRouter node1 = router("node-1", NODE1);
  private final VirtualRouter node2 = router("node-2", "192.168.0.2");
  private final VirtualNetwork podNet = network("pods");
  private final VirtualNetwork serviceNet = network("services");
  private final VirtualNetwork pub = exported(network("public"), "target:64512:100");
  private final FloatingIpPool publicPool = floatingIpPool("pool", pub);
  private final Pod xa = labelled(pod("x", "a", podNet, node1, "10.32.0.1"), labels("pod=a"));
  private final Pod xb =
      labelled(
          pod("x", "b", podNet, node2, "10.32.0.2"),
          labels("pod=b,app=web"),
          declared("http", Protocol.TCP, 8080));
  private final Pod xc =
      labelled(
          pod("x", "c", podNet, node1, "10.32.0.3"),
          labels("pod=c,app=web"),
          declared("http", Protocol.TCP, 8080));
  private final Pod ya = labelled(pod("y", "a", podNet, node2, "10.32.1.1"), labels("pod=a"));
  private final Loadbalancer web = loadbalancer("web", VIP, serviceNet);

  @BeforeEach
  void setUp() {
    NetworkPolicy np = World.policy("pod-service", pass(podNet, "<>", serviceNet));
    world.put(node1, node2, np);
    world.put(linked(podNet, link(np, 0)), linked(serviceNet, link(np, 0)), pub, publicPool);
    world.put(namespace("x", labels("ns=x")), namespace("y", labels("ns=y")));
    world.put(xa, xb, xc, ya);
    // web: VIP 10.96.0.10:80 and node port 30080 to x/b:8080, fronted by a floating IP.
    LoadbalancerListener l = listener(web, Protocol.TCP, 80, 30080);
    LoadbalancerPool p = pool(l);
    world.put(web, l, p, member(p, xb, 8080), floatingIp("web", publicPool, FIP, web));
  }

  @AfterEach
  void close() {
    world.close();
  }

  private void put(Policies.Builder... policies) {
    world.put(
        java.util.Arrays.stream(policies)
            .map(Policies.Builder::build)
            .toArray(FirewallPolicy[]::new));
  }

  private Verdict send(Pod from, String to, int port, boolean explain) {
    Packet p = new Packet(from.id(), Protocol.TCP, from.address(), 40000, to, port);
    return world.read(v -> ForwardingModel.evaluate(v, p, explain ? new ArrayList<>() : null));
  }

  private boolean reaches(Pod from, String to, int port) {
    boolean fast = send(from, to, port, false).delivered();
    boolean explained = send(from, to, port, true).delivered();
    assertThat(explained).as("explained and fast paths agree").isEqualTo(fast);
    return fast;
  }

  private Verdict fromOutside(String source, String to, int port, boolean explain) {
    return world.read(
        v ->
            ForwardingModel.fromGateway(
                v, Protocol.TCP, source, 40000, to, port, explain ? new ArrayList<>() : null));
  }

  private static String details(Verdict v) {
    return String.join("\n", v.steps().stream().map(s -> s.stage() + ": " + s.detail()).toList());
  }

  @Test
  void aPodSelectedForIngressReceivesOnlyWhatItsPoliciesAllow() {
    assertThat(reaches(ya, xb.address(), 8080)).isTrue();
    put(
        policy("x", "allow-from-a", sel("pod=b"))
            .ingress(rule(peers(pods(sel("pod=a"))), ports(tcp(8080)))));

    assertThat(reaches(xa, xb.address(), 8080)).isTrue();
    assertThat(reaches(ya, xb.address(), 8080)).isFalse(); // pod=a, but of another namespace
    assertThat(reaches(xa, xb.address(), 9090)).isFalse();
    assertThat(reaches(ya, xc.address(), 8080)).isTrue(); // x/c is selected by nothing
    assertThat(send(ya, xb.address(), 8080, false).reason())
        .isEqualTo("denied by NetworkPolicy ingress of the destination pod");
  }

  @Test
  void serviceTrafficIsJudgedOnTheChosenBackendAndItsTargetPort() {
    put(
        policy("x", "web", sel("app=web"))
            .ingress(rule(peers(pods(sel("pod=a"))), ports(tcp(8080)))));
    assertThat(reaches(xa, VIP, 80)).isTrue();

    put(
        policy("x", "web", sel("app=web"))
            .ingress(rule(peers(pods(sel("pod=a"))), ports(tcp(80)))));
    assertThat(reaches(xa, VIP, 80)).isFalse(); // the backend receives 8080, not 80
    Verdict v = send(xa, VIP, 80, true);
    assertThat(details(v))
        .contains(
            "ingress x/b: denied: selected by NetworkPolicy x/web and no rule allows tcp from 10.32.0.1 (x/a) to port 8080");

    put(
        policy("x", "web", sel("app=web"))
            .ingress(rule(peers(pods(sel("pod=a"))), ports(named(Protocol.TCP, "http")))));
    assertThat(reaches(xa, VIP, 80)).isTrue(); // http is 8080 on x/b
  }

  @Test
  void egressIsJudgedOnTheTranslatedDestination() {
    put(
        policy("x", "a-to-web", sel("pod=a"))
            .egress(rule(peers(pods(sel("app=web"))), ports(tcp(8080)))));

    assertThat(reaches(xa, VIP, 80)).isTrue(); // to x/b:8080
    assertThat(reaches(xa, xb.address(), 80)).isFalse();
    assertThat(reaches(xa, xc.address(), 8080)).isTrue();
    assertThat(reaches(xa, ya.address(), 8080)).isFalse();
    assertThat(send(xa, ya.address(), 8080, false).reason())
        .isEqualTo("denied by NetworkPolicy egress of the source pod");
  }

  @Test
  void aPodReachesItselfThroughItsOwnServiceWhateverItsPolicies() {
    put(policy("x", "deny-all", sel("")).ingress().egress());
    assertThat(reaches(xb, VIP, 80)).isTrue();
    assertThat(reaches(xa, VIP, 80)).isFalse();
    assertThat(details(send(xb, VIP, 80, true)))
        .contains("ingress x/b: a pod always reaches itself");
  }

  @Test
  void outsideTrafficIsJudgedByTheDestinationsIngressWithTheOutsideAddress() {
    assertThat(fromOutside(STRANGER, FIP, 80, false).delivered()).isTrue();
    put(
        policy("x", "from-outside", sel("app=web"))
            .ingress(rule(peers(block(OUTSIDE + "/32")), ports(tcp(8080)))));

    // Through the floating IP fronting the service, and through a node port: to a backend on
    // another node, the source is translated to the node's address (the reply must come back
    // through it), which the block does not hold; a local backend sees the outside address.
    assertThat(fromOutside(OUTSIDE, FIP, 80, false).delivered()).isTrue();
    assertThat(fromOutside(STRANGER, FIP, 80, false).delivered()).isFalse();
    Verdict viaNode = fromOutside(OUTSIDE, NODE1, 30080, true);
    assertThat(viaNode.delivered()).isEqualTo(!details(viaNode).contains("source NAT on node-1"));
    assertThat(fromOutside(STRANGER, NODE1, 30080, false).delivered()).isFalse();
    Verdict denied = fromOutside(STRANGER, NODE1, 30080, true);
    assertThat(details(denied))
        .contains(
            "source NAT on node-1: 198.51.100.1 -> 192.168.0.1",
            "ingress x/b: denied: selected by NetworkPolicy x/from-outside and no rule allows tcp from 192.168.0.1 (not a pod) to port 8080");
    assertThat(details(fromOutside(OUTSIDE, FIP, 80, true)))
        .contains(
            "ingress x/b: allowed by NetworkPolicy x/from-outside ingress rule 1 (peer 1: ipBlock "
                + OUTSIDE
                + "/32; port 8080/TCP)");
    // Pods are not in that block.
    assertThat(reaches(xa, VIP, 80)).isFalse();
  }

  @Test
  void theUsualFromTheInternetBlockAdmitsTheOutsideHostAndNotPodsOrNodes() {
    put(
        policy("x", "from-internet", sel("app=web"))
            .ingress(
                rule(
                    peers(block("0.0.0.0/0", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")),
                    ports(tcp(8080)))));

    // The outside host is not in a private range: its flows through the floating IP pass.
    assertThat(details(fromOutside(OUTSIDE, FIP, 80, true)))
        .contains(
            "ingress x/b: allowed by NetworkPolicy x/from-internet ingress rule 1 (peer 1: ipBlock"
                + " 0.0.0.0/0 except");
    assertThat(fromOutside(OUTSIDE, FIP, 80, false).delivered()).isTrue();
    // Pods (10.32.0.0/16) and the node a node port's flow is translated to (192.168.0.1) are.
    assertThat(reaches(xa, VIP, 80)).isFalse();
    Verdict viaNode = fromOutside(OUTSIDE, NODE1, 30080, true);
    assertThat(viaNode.delivered()).isEqualTo(!details(viaNode).contains("source NAT on node-1"));
  }

  @Test
  void aPeerGivenByNamespaceNeverAdmitsOutsideHosts() {
    put(policy("x", "cluster-only", sel("app=web")).ingress(from(podsIn(sel(""), sel("")))));
    assertThat(reaches(ya, VIP, 80)).isTrue();
    assertThat(fromOutside(OUTSIDE, FIP, 80, false).delivered()).isFalse();
  }

  @Test
  void repliesOfAllowedFlowsPassWhateverThePoliciesSayAboutTheReverseDirection() {
    put(
        policy("x", "b-from-a", sel("pod=b")).ingress(from(pods(sel("pod=a")))).egress(),
        policy("x", "a-closed", sel("pod=a")).ingress());
    try (Dataplane.Session s = new ForwardingModel(world.compiler()).open()) {
      Packet there = new Packet(xa.id(), Protocol.TCP, xa.address(), 40000, xb.address(), 8080);
      assertThat(s.send(there).delivered()).isTrue();
      Verdict back = s.send(there.reply(xb.id()));
      assertThat(back.delivered()).as(details(back)).isTrue();
      assertThat(back.reason()).contains("reply of the allowed flow");
      Verdict fresh =
          s.send(new Packet(xb.id(), Protocol.TCP, xb.address(), 40001, xa.address(), 80));
      assertThat(fresh.delivered()).isFalse();
    }
  }

  @Test
  void aTraceNamesThePolicyAndRuleThatDecidedAtEachEnd() {
    put(
        policy("x", "deny-all", sel("")).ingress(),
        policy("x", "allow-81", sel("")).ingress(on(tcp(81))),
        policy("x", "allow-from-a", sel("pod=b"))
            .ingress(rule(peers(pods(sel("pod=a"))), ports(tcp(80)))));

    Verdict denied = send(ya, xb.address(), 80, true);
    assertThat(denied.delivered()).isFalse();
    assertThat(details(denied))
        .contains("egress: egress y/a: no NetworkPolicy selects this pod for egress")
        .contains(
            "ingress: ingress x/b: denied: selected by NetworkPolicies x/allow-81,"
                + " x/allow-from-a, x/deny-all and no rule allows tcp from 10.32.1.1 (y/a) to port 80");
    assertThat(denied.reason()).startsWith("denied by NetworkPolicy: ingress x/b: denied");

    Verdict allowed = send(xa, xb.address(), 80, true);
    assertThat(allowed.delivered()).isTrue();
    assertThat(details(allowed))
        .contains(
            "ingress: ingress x/b: allowed by NetworkPolicy x/allow-from-a ingress rule 1 (peer 1:"
                + " pods pod=a of its namespace; port 80/TCP)");
  }

  @Test
  void aProbeCountsACellOnlyWhenBothEndsAllowIt() {
    put(
        policy("x", "web-from-x", sel("app=web")).ingress(from(podsIn(sel("ns=x"), sel("")))),
        policy("y", "a-out", sel("pod=a")).egress(from(pods(sel("")))));
    List<Probe.Source> sources = new ArrayList<>();
    List<Probe.Destination> dests = new ArrayList<>();
    for (Pod p : List.of(xa, xb, xc, ya)) {
      String name = p.vm().annotations().get("namespace") + "/" + p.vm().annotations().get("name");
      sources.add(new Probe.Source(name, p.id()));
      dests.add(new Probe.Destination(name, p.id(), Protocol.TCP, 8080));
    }
    Probe.Matrix m = Probe.run(world.compiler(), sources, dests);
    // x/b and x/c admit x only; y/a sends within y only.
    assertThat(m.rows()).containsExactly("....", "....", "....", "XXX.");
  }
}
