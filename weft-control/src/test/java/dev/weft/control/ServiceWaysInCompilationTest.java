package dev.weft.control;

import static dev.weft.control.World.floatingIp;
import static dev.weft.control.World.floatingIpPool;
import static dev.weft.control.World.listener;
import static dev.weft.control.World.loadbalancer;
import static dev.weft.control.World.member;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.pool;
import static dev.weft.control.World.router;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.weft.control.World.Pod;
import dev.weft.model.ConfigObject;
import dev.weft.model.FloatingIp;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.FqName;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerMember;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The ways into a service besides its VIP, compiled incrementally: floating IPs fronting its load
 * balancer (host routes to its service hop in the pool's network) and node ports (a table from
 * protocol and port to the listener, reachable on every node's address).
 */
class ServiceWaysInCompilationTest {
  private static final NextHop.ServicePort HTTP = new NextHop.ServicePort(Protocol.TCP, 80);
  private static final String FIP = "192.0.2.10";

  private final World world = new World();
  private final VirtualRouter node1 = router("node-1", "192.168.0.1");
  private final VirtualRouter node2 = router("node-2", "192.168.0.2");
  private final VirtualNetwork pods = network("pods");
  private final VirtualNetwork services = network("services");
  private final VirtualNetwork pub = network("public");
  private final FloatingIpPool fipPool = floatingIpPool("pool", pub);
  private final Pod web1 = pod("ns", "web-1", pods, node1, "10.32.0.11");
  private final Pod web2 = pod("ns", "web-2", pods, node2, "10.32.0.12");
  private final Loadbalancer lb = loadbalancer("web", "10.96.0.10", services);
  private final LoadbalancerListener http = listener(lb, Protocol.TCP, 80, 30080);
  private final LoadbalancerPool httpPool = pool(http);
  private final LoadbalancerMember m1 = member(httpPool, web1, 8080);
  private final LoadbalancerMember m2 = member(httpPool, web2, 8080);

  @AfterEach
  void close() {
    world.close();
  }

  private void base() {
    world.put(node1, node2, pods, services, pub, fipPool);
    world.put(web1, web2);
  }

  private void service(ConfigObject... extra) {
    List<ConfigObject> all = new ArrayList<>(List.of(lb, http, httpPool, m1, m2));
    all.addAll(List.of(extra));
    world.put(all.toArray(ConfigObject[]::new));
  }

  private Route fipRoute() {
    return world.lookup(pub, FIP);
  }

  private NextHop.Service serviceHop() {
    return world.read(v -> v.service(lb.uuid()));
  }

  private List<String> fips(Loadbalancer l) {
    return world.read(v -> v.floatingIps(l.uuid()));
  }

  private static NodePort nodePort(World w, Protocol protocol, int port) {
    return w.read(v -> v.nodePort(protocol, port));
  }

  private List<NodePort> nodePorts() {
    return world.read(v -> List.copyOf(v.nodePorts()));
  }

  private String nodeAt(String address) {
    return world.read(v -> v.nodeAt(address));
  }

  private Map<String, String> nodes() {
    return world.read(v -> Map.copyOf(v.nodeAddresses()));
  }

  private static List<UUID> backendInterfaces(NextHop hop) {
    return ((NextHop.Service) hop)
        .backends(Protocol.TCP, 80).stream().map(NextHop.Interface::interfaceUuid).toList();
  }

  @Test
  void aFloatingIpFrontingALoadBalancerRoutesToTheSameServiceHopAsItsVip() {
    base();
    service(floatingIp("web", fipPool, FIP, lb));

    Route r = fipRoute();
    assertThat(r).isNotNull();
    assertThat(r.prefix().cidr()).isEqualTo(FIP + "/32");
    assertThat(r.origin()).isEqualTo(pub.fqName());
    assertThat(r.nextHop()).isEqualTo(world.lookup(services, "10.96.0.10").nextHop());
    assertThat(r.nextHop()).isEqualTo(serviceHop());
    NextHop.Service svc = (NextHop.Service) r.nextHop();
    assertThat(svc.loadbalancerUuid()).isEqualTo(lb.uuid());
    assertThat(svc.loadbalancer()).isEqualTo(lb.fqName());
    assertThat(svc.backends(Protocol.TCP, 80))
        .extracting(NextHop.Interface::translateTo, NextHop.Interface::translatePort)
        .containsExactlyInAnyOrder(tuple("10.32.0.11", 8080), tuple("10.32.0.12", 8080));
    assertThat(fips(lb)).containsExactly(FIP);
  }

  @Test
  void aFloatingIpWhoseLoadBalancerDoesNotExistYetGetsItsRouteWhenItAppears() {
    base();
    FloatingIp fip = floatingIp("web", fipPool, FIP, lb);
    world.put(fip);
    assertThat(fipRoute()).isNull();
    assertThat(fips(lb)).isEmpty();

    service();
    assertThat(fipRoute().nextHop()).isEqualTo(serviceHop());

    world.delete(lb);
    assertThat(fipRoute()).isNull();
    assertThat(serviceHop()).isNull();
    assertThat(fips(lb)).isEmpty();

    world.put(lb);
    assertThat(fipRoute().nextHop()).isEqualTo(serviceHop());
  }

  @Test
  void theFloatingIpsRouteFollowsMembersAndBackendsMovingNode() {
    base();
    world.put(lb, http, httpPool, m1, floatingIp("web", fipPool, FIP, lb));
    assertThat(backendInterfaces(fipRoute().nextHop())).containsExactly(web1.id());

    world.put(m2);
    assertThat(backendInterfaces(fipRoute().nextHop()))
        .containsExactlyInAnyOrder(web1.id(), web2.id());

    world.delete(m1);
    assertThat(backendInterfaces(fipRoute().nextHop())).containsExactly(web2.id());

    world.put(pod("ns", "web-2", pods, node1, "10.32.0.12"));
    NextHop.Interface moved =
        ((NextHop.Service) fipRoute().nextHop()).backends(Protocol.TCP, 80).get(0);
    assertThat(moved.node()).isEqualTo("node-1");
    assertThat(moved.nodeAddress()).isEqualTo("192.168.0.1");

    world.delete(http);
    assertThat(((NextHop.Service) fipRoute().nextHop()).listeners()).isEmpty();
  }

  @Test
  void changingOrDeletingTheFloatingIpMovesOrRemovesItsRoute() {
    base();
    Loadbalancer other = loadbalancer("other", "10.96.0.20", services);
    service(other, floatingIp("web", fipPool, FIP, lb));

    world.put(floatingIp("web", fipPool, "192.0.2.11", lb));
    assertThat(fipRoute()).isNull();
    assertThat(world.lookup(pub, "192.0.2.11").nextHop()).isEqualTo(serviceHop());

    world.put(floatingIp("web", fipPool, "192.0.2.11", other));
    NextHop hop = world.lookup(pub, "192.0.2.11").nextHop();
    assertThat(((NextHop.Service) hop).loadbalancerUuid()).isEqualTo(other.uuid());
    assertThat(fips(lb)).isEmpty();
    assertThat(fips(other)).containsExactly("192.0.2.11");

    world.delete(floatingIp("web", fipPool, "192.0.2.11", other));
    assertThat(world.lookup(pub, "192.0.2.11")).isNull();
    assertThat(fips(other)).isEmpty();
  }

  @Test
  void anInterfaceOnTheSameAddressWinsOverTheServiceAndGivesItBackWhenItGoes() {
    base();
    service(floatingIp("web", fipPool, FIP, lb));
    Pod squatter = pod("ns", "squatter", pub, node1, FIP);
    world.put(squatter);
    assertThat(fipRoute().nextHop())
        .isEqualTo(new NextHop.Interface(squatter.id(), "node-1", "192.168.0.1"));

    world.delete(squatter.ip());
    assertThat(fipRoute().nextHop()).isEqualTo(serviceHop());
  }

  @Test
  void floatingIpsOfALoadBalancerAreListedInAddressOrder() {
    base();
    service(
        floatingIp("b", fipPool, "192.0.2.10", lb),
        floatingIp("a", fipPool, "192.0.2.9", lb),
        floatingIp("c", fipPool, "2001:db8::1", lb));
    assertThat(fips(lb)).containsExactly("192.0.2.9", "192.0.2.10", "2001:db8::1");
  }

  @Test
  void everyListenerWithANodePortIsInTheNodePortTable() {
    base();
    LoadbalancerListener dns = listener(lb, Protocol.UDP, 53, null);
    service(dns);

    NodePort np = nodePort(world, Protocol.TCP, 30080);
    assertThat(np.nodePort()).isEqualTo(new NextHop.ServicePort(Protocol.TCP, 30080));
    assertThat(np.servicePort()).isEqualTo(HTTP);
    assertThat(np.service()).isEqualTo(serviceHop());
    assertThat(np.backends()).hasSize(2);
    assertThat(serviceHop().nodePort(HTTP)).isEqualTo(30080);
    assertThat(serviceHop().nodePort(new NextHop.ServicePort(Protocol.UDP, 53))).isZero();
    assertThat(nodePort(world, Protocol.UDP, 30080)).isNull();
    assertThat(nodePorts()).containsExactly(np);

    // The table follows the backends, the listener's node port, and the listener itself.
    world.delete(m2);
    assertThat(nodePort(world, Protocol.TCP, 30080).backends()).hasSize(1);
    world.put(listener(lb, Protocol.TCP, 80, 30081));
    assertThat(nodePort(world, Protocol.TCP, 30080)).isNull();
    assertThat(nodePort(world, Protocol.TCP, 30081).servicePort()).isEqualTo(HTTP);
    world.put(listener(lb, Protocol.TCP, 80, null));
    assertThat(nodePorts()).isEmpty();
    world.put(http);
    assertThat(nodePort(world, Protocol.TCP, 30080)).isNotNull();
    world.delete(lb);
    assertThat(nodePorts()).isEmpty();
  }

  @Test
  void nodeAddressesFollowTheRouters() {
    world.put(node1, node2);
    assertThat(nodes()).isEqualTo(Map.of("node-1", "192.168.0.1", "node-2", "192.168.0.2"));
    assertThat(nodeAt("192.168.0.2")).isEqualTo("node-2");

    world.put(router("node-2", "192.168.0.22"));
    assertThat(nodeAt("192.168.0.2")).isNull();
    assertThat(nodeAt("192.168.0.22")).isEqualTo("node-2");

    world.put(router("node-1", null));
    assertThat(List.copyOf(nodes().keySet())).containsExactly("node-2");
    assertThat(nodeAt("192.168.0.1")).isNull();

    world.delete(node2);
    assertThat(nodes().isEmpty()).isTrue();
  }

  @Test
  void twoLoadBalancersOnOneNodePortTheFirstByUuidWinsWhateverTheOrder() {
    Loadbalancer a = loadbalancer("a", "10.96.0.1", services);
    Loadbalancer b = loadbalancer("b", "10.96.0.2", services);
    Loadbalancer first = a.uuid().toString().compareTo(b.uuid().toString()) < 0 ? a : b;
    Loadbalancer second = first == a ? b : a;
    List<List<ConfigObject>> parts =
        List.of(
            List.of(a, listener(a, Protocol.TCP, 80, 30080)),
            List.of(b, listener(b, Protocol.TCP, 443, 30080)));
    for (long seed = 0; seed < 4; seed++) {
      try (World w = new World()) {
        w.put(services);
        List<List<ConfigObject>> order = new ArrayList<>(parts);
        Collections.shuffle(order, new Random(seed));
        for (List<ConfigObject> p : order) {
          w.put(p.toArray(ConfigObject[]::new)); // one load balancer per transaction
        }
        NodePort won = nodePort(w, Protocol.TCP, 30080);
        assertThat(won.service().loadbalancerUuid()).as("seed " + seed).isEqualTo(first.uuid());

        w.delete(first);
        assertThat(nodePort(w, Protocol.TCP, 30080).service().loadbalancerUuid())
            .isEqualTo(second.uuid());
      }
    }
  }

  @Test
  void changeListenersHearOfNodePorts() {
    List<NextHop.ServicePort> heard = Collections.synchronizedList(new ArrayList<>());
    world
        .compiler()
        .addChangeListener(
            new Compiler.ChangeListener() {
              @Override
              public void onVrfChanged(FqName network) {}

              @Override
              public void onEndpointChanged(UUID interfaceUuid) {}

              @Override
              public void onNodePortChanged(NextHop.ServicePort nodePort) {
                heard.add(nodePort);
              }
            });
    base();
    service();
    assertThat(heard).containsExactly(new NextHop.ServicePort(Protocol.TCP, 30080));
  }

  @Test
  void aServiceHopsListenersOnOnePortAreTheFirstListenersByUuid() {
    base();
    LoadbalancerListener twin =
        new LoadbalancerListener(
            World.uuid("listener", "twin"),
            lb.fqName().child("twin"),
            null,
            Map.of(),
            Ref.to(lb),
            Protocol.TCP,
            80,
            30099);
    service(twin);
    LoadbalancerListener first = http.uuid().compareTo(twin.uuid()) < 0 ? http : twin;
    assertThat(serviceHop().nodePort(HTTP)).isEqualTo(first.nodePort());
    assertThat(nodePorts().size()).isEqualTo(1);
  }
}
