package dev.weft.dataplane;

import static dev.weft.control.World.exported;
import static dev.weft.control.World.floatingIp;
import static dev.weft.control.World.floatingIpPool;
import static dev.weft.control.World.link;
import static dev.weft.control.World.linked;
import static dev.weft.control.World.listener;
import static dev.weft.control.World.loadbalancer;
import static dev.weft.control.World.member;
import static dev.weft.control.World.net;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pass;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.policy;
import static dev.weft.control.World.pool;
import static dev.weft.control.World.ports;
import static dev.weft.control.World.router;
import static dev.weft.control.World.rule;
import static dev.weft.control.World.subnet;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.model.Action;
import dev.weft.model.ConfigObject;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Services from outside the cluster: through a floating IP fronting the load balancer (a
 * LoadBalancer service's address, an external IP), judged by the floating IP network's ACL, and
 * through a node port on any node's address, over the fabric and judged by no virtual-network ACL;
 * and the {@code external} row of a probe of services.
 */
class ExternalServiceForwardingTest {
  private static final String OUTSIDE = Probe.EXTERNAL_V4;
  private static final String FIP = "192.0.2.10";
  private static final String NODE1 = "192.168.0.1";
  private static final String NODE2 = "192.168.0.2";

  private final World world = new World();
  private final VirtualRouter node1 = router("node-1", NODE1);
  private final VirtualRouter node2 = router("node-2", NODE2);
  private final VirtualNetwork pods = network("pods");
  private final VirtualNetwork services = network("services");
  private final VirtualNetwork pub = exported(network("public"), "target:64512:100");
  private final NetworkPolicy guard =
      policy(
          "guard",
          rule(
              Action.DENY,
              Protocol.TCP,
              subnet("0.0.0.0/0"),
              null,
              ">",
              net(network("guarded")),
              ports(80)));
  private final VirtualNetwork guarded =
      exported(linked(network("guarded"), link(guard, 0)), "target:64512:200");
  private final FloatingIpPool publicPool = floatingIpPool("pool", pub);
  private final FloatingIpPool guardedPool = floatingIpPool("pool", guarded);
  private final Pod client = pod("ns", "client", pods, node1, "10.32.0.1");
  private final Pod web1 = pod("ns", "web-1", pods, node1, "10.32.0.11");
  private final Pod web2 = pod("ns", "web-2", pods, node2, "10.32.0.12");
  private final Pod ghost = pod("ns", "ghost", pods, null, "10.32.0.13");
  private final Loadbalancer web = loadbalancer("web", "10.96.0.10", services);

  @BeforeEach
  void setUp() {
    NetworkPolicy np = policy("pod-service", pass(pods, "<>", services));
    world.put(node1, node2, guard, np);
    world.put(linked(pods, link(np, 0)), linked(services, link(np, 0)), pub, guarded);
    world.put(publicPool, guardedPool);
    world.put(client, web1, web2, ghost);
  }

  @AfterEach
  void close() {
    world.close();
  }

  /** A load balancer with a listener on 80/TCP (node port or null) to 8080 on {@code backends}. */
  private static List<ConfigObject> service(Loadbalancer lb, Integer nodePort, Pod... backends) {
    LoadbalancerListener l = listener(lb, Protocol.TCP, 80, nodePort);
    LoadbalancerPool p = pool(l);
    List<ConfigObject> out = new ArrayList<>(List.of(lb, l, p));
    for (Pod b : backends) {
      out.add(member(p, b, 8080));
    }
    return out;
  }

  private void put(List<ConfigObject> objects, ConfigObject... more) {
    List<ConfigObject> all = new ArrayList<>(objects);
    all.addAll(List.of(more));
    world.put(all.toArray(ConfigObject[]::new));
  }

  private Verdict fromOutside(String to, int port, int sport, int member, boolean explain) {
    return world.read(
        v ->
            ForwardingModel.fromGateway(
                v,
                Protocol.TCP,
                OUTSIDE,
                sport,
                to,
                port,
                explain ? new ArrayList<>() : null,
                member));
  }

  private static String details(Verdict v) {
    return String.join("\n", v.steps().stream().map(s -> s.stage() + ": " + s.detail()).toList());
  }

  @Test
  void aFloatingIpFrontingTheLoadBalancerReachesEveryBackendTranslatedToTheTargetPort() {
    put(service(web, 30080, web1, web2), floatingIp("web", publicPool, FIP, web));

    for (int k = 0; k < 2; k++) {
      Verdict v = fromOutside(FIP, 80, 40000, k, false);
      assertThat(v.delivered()).as(v.reason()).isTrue();
      assertThat(v.deliveredPort()).isEqualTo(8080);
    }
    assertThat(fromOutside(FIP, 80, 40000, 0, false).destinationInterface())
        .isNotEqualTo(fromOutside(FIP, 80, 40000, 1, false).destinationInterface());
    Map<UUID, Integer> hits = new HashMap<>();
    for (int sport = 30000; sport < 32000; sport++) {
      hits.merge(fromOutside(FIP, 80, sport, -1, false).destinationInterface(), 1, Integer::sum);
    }
    assertThat(hits.keySet()).containsExactlyInAnyOrder(web1.id(), web2.id());

    Verdict v = fromOutside(FIP, 80, 40000, 1, true);
    assertThat(details(v))
        .contains("gateway route " + FIP + "/32 exported by " + pub.fqName())
        .contains("floating IP of service " + web.fqName() + ", listener 80/TCP with 2")
        .contains("ECMP over 2 next hops")
        .contains("destination NAT on")
        .contains("-> " + v.deliveredAs() + ":8080 (backend ns/web-")
        .contains("replies are translated back to " + FIP + ":80")
        .contains("entering " + pub.fqName());
    assertThat(v.reason()).contains("floating IP " + FIP + " of service " + web.fqName());

    Verdict wrongPort = fromOutside(FIP, 443, 40000, -1, true);
    assertThat(wrongPort.delivered()).isFalse();
    assertThat(wrongPort.reason()).contains("no listener on 443/TCP").contains("[80/TCP]");
  }

  @Test
  void theFloatingIpNetworksAclJudgesTrafficToTheLoadBalancerButNotANodePort() {
    put(service(web, 30080, web1), floatingIp("web", guardedPool, "198.51.100.10", web));

    Verdict denied = fromOutside("198.51.100.10", 80, 40000, -1, true);
    assertThat(denied.delivered()).isFalse();
    assertThat(denied.reason()).contains("denied entering " + guarded.fqName());

    Verdict nodePort = fromOutside(NODE2, 30080, 40000, -1, true);
    assertThat(nodePort.delivered()).as(details(nodePort)).isTrue();
    assertThat(details(nodePort)).contains("no virtual-network ACL");
  }

  @Test
  void aNodePortOnAnyNodeReachesEveryBackendAndTunnelsToTheBackendsNode() {
    put(service(web, 30080, web1, web2));

    for (String node : List.of(NODE1, NODE2)) {
      List<UUID> reached = new ArrayList<>();
      for (int k = 0; k < 2; k++) {
        Verdict v = fromOutside(node, 30080, 40000, k, false);
        assertThat(v.delivered()).as(v.reason()).isTrue();
        assertThat(v.deliveredPort()).isEqualTo(8080);
        reached.add(v.destinationInterface());
      }
      assertThat(reached).containsExactlyInAnyOrder(web1.id(), web2.id());
    }

    int toWeb2 =
        fromOutside(NODE1, 30080, 40000, 0, false).destinationInterface().equals(web2.id()) ? 0 : 1;
    Verdict v = fromOutside(NODE1, 30080, 40000, toWeb2, true);
    assertThat(v.steps().stream().map(Step::stage).distinct().toList())
        .containsSubsequence(
            "source", "route", "node", "nodeport", "ecmp", "nat", "policy-in", "tunnel", "deliver");
    assertThat(details(v))
        .contains(NODE1 + " is the address of node node-1, routed over the underlay (the fabric)")
        .contains("its vRouter looks up node port 30080/TCP")
        .contains("node port 30080/TCP is service " + web.fqName() + " port 80/TCP, with 2 ready")
        .contains(
            "destination NAT on node-1: " + NODE1 + ":30080 -> 10.32.0.12:8080 (backend ns/web-2")
        .contains("encapsulated from node-1 (" + NODE1 + ") to node-2 (" + NODE2 + ")")
        .contains("delivered to ns/web-2");
    assertThat(v.deliveredAs()).isEqualTo(web2.address());
    assertThat(v.reason())
        .isEqualTo("from outside through node port 30080/TCP of node-1 to service " + web.fqName());

    Verdict local = fromOutside(NODE1, 30080, 40000, 1 - toWeb2, true);
    assertThat(details(local)).contains("backend is on node-1 itself: switched locally");
  }

  @Test
  void theReplyIsTranslatedBackToTheAddressAndPortTheOutsideHostSentTo() {
    put(service(web, 30080, web2), floatingIp("web", publicPool, FIP, web));

    Verdict there = fromOutside(NODE1, 30080, 40000, -1, false);
    Verdict back =
        world.read(
            v ->
                ForwardingModel.replyToGateway(
                    v, Protocol.TCP, OUTSIDE, 40000, NODE1, 30080, there, new ArrayList<>()));
    assertThat(back.delivered()).isTrue();
    assertThat(details(back))
        .contains("answers tcp 10.32.0.12:8080 -> " + OUTSIDE + ":40000")
        .contains("encapsulated from node-2 back to node-1")
        .contains("source NAT back on node-1: 10.32.0.12:8080 -> " + NODE1 + ":30080")
        .contains("out of node-1's fabric interface");

    Verdict viaFip = fromOutside(FIP, 80, 40000, -1, false);
    Verdict fipBack =
        world.read(
            v ->
                ForwardingModel.replyToGateway(
                    v, Protocol.TCP, OUTSIDE, 40000, FIP, 80, viaFip, new ArrayList<>()));
    assertThat(details(fipBack))
        .contains("source NAT back on node-2: 10.32.0.12:8080 -> " + FIP + ":80")
        .contains("to the gateway router");

    Verdict dropped = fromOutside(NODE1, 31000, 40000, -1, false);
    assertThatThrownBy(
            () ->
                world.read(
                    v ->
                        ForwardingModel.replyToGateway(
                            v, Protocol.TCP, OUTSIDE, 40000, NODE1, 31000, dropped, null)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aNodeAddressWithoutThatNodePortDropsThePacketSayingWhy() {
    put(service(web, 30080, web1));

    Verdict v = fromOutside(NODE1, 31000, 40000, -1, true);
    assertThat(v.delivered()).isFalse();
    assertThat(v.reason())
        .contains(
            "node node-1 (" + NODE1 + ") has no node port 31000/TCP: no service listens on it")
        .contains("node ports in use: [30080/TCP]");
    assertThat(fromOutside(NODE1, 31000, 40000, -1, false).reason())
        .isEqualTo("no service on that node port");
    Verdict udp =
        world.read(
            view ->
                ForwardingModel.fromGateway(
                    view, Protocol.UDP, OUTSIDE, 40000, NODE1, 30080, null, -1));
    assertThat(udp.delivered()).isFalse();

    world.delete(member(pool(listener(web, Protocol.TCP, 80, 30080)), web1, 8080));
    Verdict none = fromOutside(NODE1, 30080, 40000, -1, true);
    assertThat(none.delivered()).isFalse();
    assertThat(none.reason()).contains("which has no ready backend");
  }

  @Test
  void probeFromOutsideMarksEachServiceByTheBackendsItsWaysInReach() {
    Loadbalancer half = loadbalancer("half", "10.96.0.11", services);
    Loadbalancer internal = loadbalancer("internal", "10.96.0.12", services);
    Loadbalancer nodePortOnly = loadbalancer("np", "10.96.0.13", services);
    Loadbalancer walled = loadbalancer("walled", "10.96.0.14", services);
    Loadbalancer walledNodePort = loadbalancer("walled-np", "10.96.0.15", services);
    put(service(web, 30080, web1, web2), floatingIp("web", publicPool, FIP, web));
    put(service(half, null, web1, ghost), floatingIp("half", publicPool, "192.0.2.11", half));
    put(service(internal, null, web1));
    put(service(nodePortOnly, 30081, web2));
    put(service(walled, null, web1), floatingIp("walled", guardedPool, "198.51.100.14", walled));
    put(
        service(walledNodePort, 30082, web1),
        floatingIp("walled-np", guardedPool, "198.51.100.15", walledNodePort));

    List<Probe.Destination> dests =
        List.of(
            Probe.Destination.service("ns/web", web.uuid(), "10.96.0.10", Protocol.TCP, 80),
            Probe.Destination.service("ns/half", half.uuid(), "10.96.0.11", Protocol.TCP, 80),
            Probe.Destination.service(
                "ns/internal", internal.uuid(), "10.96.0.12", Protocol.TCP, 80),
            Probe.Destination.service("ns/np", nodePortOnly.uuid(), "10.96.0.13", Protocol.TCP, 80),
            Probe.Destination.service("ns/walled", walled.uuid(), "10.96.0.14", Protocol.TCP, 80),
            Probe.Destination.service(
                "ns/walled-np", walledNodePort.uuid(), "10.96.0.15", Protocol.TCP, 80),
            Probe.Destination.service("ns/web", web.uuid(), "10.96.0.10", Protocol.TCP, 81),
            Probe.Destination.service("ns/gone", UUID.randomUUID(), "10.96.0.99", Protocol.TCP, 80),
            Probe.Destination.service("ns/no-uid", null, "10.96.0.10", Protocol.TCP, 80));

    Probe.Matrix outside = Probe.runExternal(world.compiler(), dests);
    assertThat(outside.sources()).containsExactly("external");
    assertThat(outside.destinations().get(0)).isEqualTo("ns/web:80/TCP");
    assertThat(outside.rows()).containsExactly(".PX.X.XXX");

    // From pods nothing changed: each service through its cluster IP.
    Probe.Matrix inside =
        Probe.run(world.compiler(), List.of(new Probe.Source("ns/client", client.id())), dests);
    assertThat(inside.rows()).containsExactly(".P....XX.");
  }

  @Test
  void externalWaysListFloatingIpsThenEveryNodeAtTheNodePort() {
    put(
        service(web, 30080, web1),
        floatingIp("b", publicPool, "192.0.2.20", web),
        floatingIp("a", publicPool, FIP, web));
    List<String> ways =
        world.read(
            v ->
                Probe.externalWays(v, v.service(web.uuid()), Protocol.TCP, 80).stream()
                    .map(Probe.Way::describe)
                    .toList());
    assertThat(ways)
        .containsExactly(
            "floating IP 192.0.2.10:80",
            "floating IP 192.0.2.20:80",
            "node port 30080 of node-1 (" + NODE1 + ")",
            "node port 30080 of node-2 (" + NODE2 + ")");
    List<Probe.Way> none =
        world.read(v -> Probe.externalWays(v, v.service(web.uuid()), Protocol.TCP, 81));
    assertThat(none).isEmpty();
  }
}
