package dev.weft.dataplane;

import static dev.weft.control.World.link;
import static dev.weft.control.World.linked;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pass;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.policy;
import static dev.weft.control.World.router;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.model.ConfigObject;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerMember;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Services in the forwarding model: the VIP in the service network, one ECMP group of ready
 * backends per listener, destination NAT to the backend's address and target port on the receiving
 * node, the reply translated back.
 */
class ServiceForwardingTest {
  private final World world = new World();
  private final VirtualRouter node1 = router("node-1", "192.168.0.1");
  private final VirtualRouter node2 = router("node-2", "192.168.0.2");
  private final VirtualNetwork pods = network("pods");
  private final VirtualNetwork services = network("services");
  private final VirtualNetwork other = network("other");
  private final Pod client = pod("ns", "client", pods, node1, "10.32.0.1");
  private final Pod web1 = pod("ns", "web-1", pods, node1, "10.32.0.11");
  private final Pod web2 = pod("ns", "web-2", pods, node2, "10.32.0.12");
  private final Pod web3 = pod("ns", "web-3", pods, node2, "10.32.0.13");
  private final Pod stranger = pod("ns-o", "stranger", other, node1, "10.40.0.1");
  private final ForwardingModel model = new ForwardingModel(world.compiler());
  private static final String VIP = "10.96.0.10";

  @AfterEach
  void close() {
    world.close();
  }

  private void setUp() {
    world.put(node1, node2, pods, services, other);
    world.put(client, web1, web2, web3, stranger);
    NetworkPolicy np = policy("pod-service", pass(pods, "<>", services));
    world.put(np);
    world.put(linked(pods, link(np, 0)), linked(services, link(np, 0)));
  }

  private final Loadbalancer lb =
      new Loadbalancer(
          World.uuid("lb", "web"),
          services.fqName().child("web"),
          null,
          Map.of(),
          "native",
          VIP,
          Ref.to(services),
          List.of());

  private LoadbalancerListener listener(Protocol protocol, int port) {
    return new LoadbalancerListener(
        World.uuid("listener", protocol + "-" + port),
        lb.fqName().child(protocol + "-" + port),
        Ref.to(lb),
        Map.of(),
        Ref.to(lb),
        protocol,
        port);
  }

  private static LoadbalancerPool pool(LoadbalancerListener l) {
    return new LoadbalancerPool(
        World.uuid("pool", l.fqName().toString()),
        l.fqName().child("pool"),
        Ref.to(l),
        Map.of(),
        Ref.to(l),
        l.protocol(),
        "ecmp");
  }

  private static LoadbalancerMember member(LoadbalancerPool pool, Pod backend, int port) {
    return new LoadbalancerMember(
        World.uuid("member", pool.fqName() + backend.address()),
        pool.fqName().child(backend.address()),
        Ref.to(pool),
        Map.of(),
        backend.address(),
        port,
        Ref.to(backend.vmi()));
  }

  /** The load balancer with a listener on 80/TCP → 8080 on {@code backends}. */
  private List<ConfigObject> service(Pod... backends) {
    LoadbalancerListener l = listener(Protocol.TCP, 80);
    LoadbalancerPool p = pool(l);
    List<ConfigObject> out = new ArrayList<>(List.of(lb, l, p));
    for (Pod b : backends) {
      out.add(member(p, b, 8080));
    }
    return out;
  }

  private Verdict explain(Packet p) {
    return world.read(v -> ForwardingModel.evaluate(v, p, new ArrayList<>()));
  }

  private static Packet toVip(Pod from, int sport, int port) {
    return new Packet(from.id(), Protocol.TCP, from.address(), sport, VIP, port);
  }

  private static String details(Verdict v) {
    return String.join("\n", v.steps().stream().map(s -> s.stage() + ": " + s.detail()).toList());
  }

  @Test
  void theVipSpreadsFlowsOverEveryReadyBackendWithNatToTheTargetPort() {
    setUp();
    world.put(service(web1, web2, web3).toArray(ConfigObject[]::new));
    Map<UUID, Integer> hits = new HashMap<>();
    for (int sport = 30000; sport < 33000; sport++) {
      Packet p = toVip(client, sport, 80);
      Verdict v = world.read(view -> ForwardingModel.evaluate(view, p, null));
      assertThat(v.delivered()).isTrue();
      assertThat(v.deliveredPort()).isEqualTo(8080);
      hits.merge(v.destinationInterface(), 1, Integer::sum);
    }
    assertThat(hits.keySet()).containsExactlyInAnyOrder(web1.id(), web2.id(), web3.id());
    // 3,000 flows over 3 backends: each within 20 % of a third.
    hits.values().forEach(n -> assertThat(n).isBetween(800, 1200));

    Verdict v = explain(toVip(client, 40000, 80));
    assertThat(details(v))
        .contains("VIP of service " + lb.fqName())
        .contains("listener 80/TCP with 3 ready backend(s)")
        .contains("ECMP over 3 next hops")
        .contains("destination NAT on");
    assertThat(v.deliveredAs()).startsWith("10.32.0.1");
  }

  @Test
  void theReplyComesBackFromTheBackendAndIsTranslatedToTheVip() {
    setUp();
    world.put(service(web2).toArray(ConfigObject[]::new));
    try (Dataplane.Session s = model.open()) {
      Verdict there = s.send(toVip(client, 40000, 80));
      assertThat(there.delivered()).isTrue();
      // The session's verdict says what the packet was translated to, for the caller's reply.
      assertThat(there.deliveredAs()).isEqualTo(web2.address());
      assertThat(there.deliveredPort()).isEqualTo(8080);
      assertThat(there.reason()).endsWith("through service VIP " + VIP + ":80");
      Packet reply =
          new Packet(web2.id(), Protocol.TCP, web2.address(), 8080, client.address(), 40000);
      Verdict back = s.send(reply);
      assertThat(back.delivered()).isTrue();
      assertThat(back.destinationInterface()).isEqualTo(client.id());
      assertThat(details(back)).contains("source NAT back: 10.32.0.12:8080 -> 10.96.0.10:80");
    }
  }

  @Test
  void membersFollowTheBackendSetAndAnUnknownPortOrNoBackendIsDroppedWithAReason() {
    setUp();
    List<ConfigObject> three = service(web1, web2, web3);
    world.put(three.toArray(ConfigObject[]::new));
    Verdict wrongPort = explain(toVip(client, 40000, 443));
    assertThat(wrongPort.delivered()).isFalse();
    assertThat(wrongPort.reason()).contains("no listener on 443/TCP").contains("[80/TCP]");

    // Scale down to one backend: only it receives.
    world.delete(three.get(4), three.get(5));
    for (int sport = 30000; sport < 30100; sport++) {
      Packet p = toVip(client, sport, 80);
      assertThat(world.read(view -> ForwardingModel.evaluate(view, p, null)).destinationInterface())
          .isEqualTo(web1.id());
    }
    world.delete(three.get(3));
    Verdict none = explain(toVip(client, 40000, 80));
    assertThat(none.delivered()).isFalse();
    assertThat(none.reason()).contains("no ready backend");
  }

  @Test
  void aNetworkNotJoinedToTheServiceNetworkHasNoRouteToTheVip() {
    setUp();
    world.put(service(web1).toArray(ConfigObject[]::new));
    Verdict v =
        explain(new Packet(stranger.id(), Protocol.TCP, stranger.address(), 40000, VIP, 80));
    assertThat(v.delivered()).isFalse();
    assertThat(v.reason()).contains("no route to " + VIP);
  }

  @Test
  void probeMarksAServiceWithSomeUnreachableBackendsP() {
    setUp();
    Pod unplaced = pod("ns", "web-4", pods, null, "10.32.0.14");
    world.put(unplaced);
    world.put(service(web1, unplaced).toArray(ConfigObject[]::new));
    Probe.Matrix m =
        Probe.run(
            world.compiler(),
            List.of(
                new Probe.Source("ns/client", client.id()),
                new Probe.Source("ns-o/stranger", stranger.id())),
            List.of(
                Probe.Destination.address("ns/web", VIP, Protocol.TCP, 80),
                Probe.Destination.address("ns/web", VIP, Protocol.TCP, 81)));
    assertThat(m.destinations()).containsExactly("ns/web:80/TCP", "ns/web:81/TCP");
    assertThat(m.rows()).containsExactly("PX", "XX");
  }
}
