package dev.weft.control;

import static dev.weft.control.World.ip;
import static dev.weft.control.World.moved;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.router;
import static dev.weft.control.World.vm;
import static dev.weft.control.World.vmi;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.control.World.Pod;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpPrefix;
import dev.weft.model.Ref;
import dev.weft.model.VirtualMachine;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An endpoint per interface, following its interface, addresses, machine and node. */
class EndpointCompilationTest {
  private final World world = new World();
  private final VirtualRouter node1 = router("node-1", "192.168.0.1");
  private final VirtualRouter node2 = router("node-2", "192.168.0.2");
  private final VirtualNetwork a = network("a");
  private final VirtualNetwork b = network("b");

  @AfterEach
  void close() {
    world.close();
  }

  @Test
  void aPlacedPodsEndpointHasItsNetworkAddressesAndNode() {
    Pod p = pod("ns", "web", a, node1, "10.1.0.5");
    world.put(node1, a);
    world.put(p);

    Endpoint e = world.endpoint(p.vmi());
    assertThat(e.interfaceUuid()).isEqualTo(p.id());
    assertThat(e.interfaceName()).isEqualTo(p.vmi().fqName());
    assertThat(e.network()).isEqualTo(a.fqName());
    assertThat(e.macAddress()).isEqualTo(p.vmi().macAddress());
    assertThat(e.addresses()).containsExactly("10.1.0.5");
    assertThat(e.namespace()).isEqualTo("ns");
    assertThat(e.pod()).isEqualTo("web");
    assertThat(e.displayName()).isEqualTo("ns/web");
    assertThat(e.node()).isEqualTo("node-1");
    assertThat(e.nodeAddress()).isEqualTo("192.168.0.1");
    assertThat(e.placed()).isTrue();
    int count = world.read(v -> v.endpoints().size());
    assertThat(count).isEqualTo(1);
  }

  @Test
  void anInterfaceNotOwnedByAPodIsNamedByItsFqName() {
    VirtualMachineInterface plain =
        new VirtualMachineInterface(
            UUID.randomUUID(),
            FqName.of("default-domain", "p", "gw"),
            null,
            null,
            null,
            Ref.to(a),
            "02:00:00:00:00:01",
            null,
            null);
    world.put(a, plain);

    Endpoint e = world.endpoint(plain);
    assertThat(e.pod()).isEmpty();
    assertThat(e.namespace()).isEmpty();
    assertThat(e.displayName()).isEqualTo("default-domain:p:gw");
    assertThat(e.placed()).isFalse();
    assertThat(e.addresses()).isEmpty();
  }

  @Test
  void addressesFollowInstanceIpsIpv4First() {
    Pod p = pod("ns", "web", a, node1, "10.1.0.5");
    world.put(node1, a);
    world.put(p);
    InstanceIp v6 = ip("web-v6", "fd00::5", a, p.vmi());
    InstanceIp second = ip("web-2", "10.1.0.4", a, p.vmi());
    world.put(v6, second);

    assertThat(world.endpoint(p.vmi()).addresses())
        .containsExactly("10.1.0.4", "10.1.0.5", "fd00::5");
    assertThat(world.routes(a))
        .extracting(r -> r.prefix().cidr())
        .containsExactlyInAnyOrder("10.1.0.4/32", "10.1.0.5/32", "fd00::5/128");
    assertThat(world.lookup(a, "fd00::5").prefix()).isEqualTo(IpPrefix.parse("fd00::5/128"));

    world.delete(p.ip());
    assertThat(world.endpoint(p.vmi()).addresses()).containsExactly("10.1.0.4", "fd00::5");
    assertThat(world.lookup(a, "10.1.0.5")).isNull();
  }

  @Test
  void anInstanceIpMovedToAnotherInterfaceMovesTheRoute() {
    Pod p = pod("ns", "p", a, node1, "10.1.0.5");
    Pod q = pod("ns", "q", a, node2, "10.1.0.6");
    world.put(node1, node2, a);
    world.put(p, q);
    InstanceIp reassigned = ip("ns-p", "10.1.0.5", a, q.vmi());
    world.put(reassigned);

    assertThat(world.endpoint(p.vmi()).addresses()).isEmpty();
    assertThat(world.endpoint(q.vmi()).addresses()).containsExactly("10.1.0.5", "10.1.0.6");
    assertThat(world.lookup(a, "10.1.0.5").nextHop())
        .isEqualTo(new NextHop.Interface(q.id(), "node-2", "192.168.0.2"));
  }

  @Test
  void serviceAddressesAreNotInterfaceAddresses() {
    Pod p = pod("ns", "web", a, node1, "10.1.0.5");
    world.put(node1, a);
    world.put(p);
    InstanceIp plain = ip("vip", "10.96.0.10", a, p.vmi());
    InstanceIp vip =
        new InstanceIp(
            plain.uuid(),
            plain.fqName(),
            null,
            null,
            plain.address(),
            null,
            plain.subnet(),
            null,
            plain.pool(),
            plain.virtualNetwork(),
            plain.interfaces(),
            true);
    world.put(vip);

    assertThat(world.endpoint(p.vmi()).addresses()).containsExactly("10.1.0.5");
    assertThat(world.lookup(a, "10.96.0.10")).isNull();
  }

  @Test
  void placementFollowsTheMachinesRouter() {
    Pod unplaced = pod("ns", "web", a, null, "10.1.0.5");
    world.put(node1, node2, a);
    world.put(unplaced);
    Endpoint e = world.endpoint(unplaced.vmi());
    assertThat(e.placed()).isFalse();
    assertThat(e.node()).isNull();
    assertThat(e.nodeAddress()).isNull();
    assertThat(world.lookup(a, "10.1.0.5").nextHop())
        .isEqualTo(new NextHop.Interface(unplaced.id(), null, null));

    world.put(vm("ns", "web", node1));
    assertThat(world.endpoint(unplaced.vmi()).node()).isEqualTo("node-1");
    assertThat(world.endpoint(unplaced.vmi()).nodeAddress()).isEqualTo("192.168.0.1");

    world.put(vm("ns", "web", node2));
    assertThat(world.endpoint(unplaced.vmi()).node()).isEqualTo("node-2");
    assertThat(world.lookup(a, "10.1.0.5").nextHop())
        .isEqualTo(new NextHop.Interface(unplaced.id(), "node-2", "192.168.0.2"));

    world.delete(unplaced.vm());
    assertThat(world.endpoint(unplaced.vmi()).placed()).isFalse();
  }

  @Test
  void routerAddressChangesReachEveryEndpointOnTheNode() {
    Pod p = pod("ns", "p", a, node1, "10.1.0.5");
    Pod q = pod("ns", "q", b, node1, "10.2.0.5");
    Pod elsewhere = pod("ns", "r", a, node2, "10.1.0.6");
    world.put(node1, node2, a, b);
    world.put(p, q, elsewhere);

    world.put(router("node-1", "192.168.9.9"));
    assertThat(world.endpoint(p.vmi()).nodeAddress()).isEqualTo("192.168.9.9");
    assertThat(world.endpoint(q.vmi()).nodeAddress()).isEqualTo("192.168.9.9");
    assertThat(world.endpoint(elsewhere.vmi()).nodeAddress()).isEqualTo("192.168.0.2");
    assertThat(world.lookup(b, "10.2.0.5").nextHop())
        .isEqualTo(new NextHop.Interface(q.id(), "node-1", "192.168.9.9"));

    world.delete(node1);
    // The machine still names its node; the tunnel endpoint is unknown until the router is back.
    assertThat(world.endpoint(p.vmi()).node()).isEqualTo("node-1");
    assertThat(world.endpoint(p.vmi()).nodeAddress()).isNull();
    world.put(node1);
    assertThat(world.endpoint(p.vmi()).nodeAddress()).isEqualTo("192.168.0.1");
  }

  @Test
  void anInterfaceMovedToAnotherNetworkMovesItsRoutes() {
    Pod p = pod("ns", "p", a, node1, "10.1.0.5");
    world.put(node1, a, b);
    world.put(p);
    world.put(moved(p.vmi(), b));

    assertThat(world.endpoint(p.vmi()).network()).isEqualTo(b.fqName());
    assertThat(world.routes(a)).isEmpty();
    assertThat(world.lookup(b, "10.1.0.5").origin()).isEqualTo(b.fqName());
  }

  @Test
  void deletingTheInterfaceRemovesTheEndpointAndItsRoutes() {
    Pod p = pod("ns", "p", a, node1, "10.1.0.5");
    world.put(node1, a);
    world.put(p);
    world.delete(p.vmi());

    assertThat(world.endpoint(p.vmi())).isNull();
    boolean none = world.read(v -> v.endpoints().isEmpty());
    assertThat(none).isTrue();
    assertThat(world.routes(a)).isEmpty();

    // The address and machine left behind come back into use with a new interface.
    world.put(p.vmi());
    assertThat(world.endpoint(p.vmi()).addresses()).containsExactly("10.1.0.5");
    assertThat(world.endpoint(p.vmi()).node()).isEqualTo("node-1");
  }

  @Test
  void objectsArrivingInAnyOrderGiveTheSameEndpoint() {
    Pod p = pod("ns", "p", a, node1, "10.1.0.5");
    world.put(p.ip());
    assertThat(world.endpoint(p.vmi())).isNull();
    world.put(p.vmi());
    assertThat(world.endpoint(p.vmi()).addresses()).containsExactly("10.1.0.5");
    assertThat(world.endpoint(p.vmi()).node()).isNull();
    world.put(p.vm());
    assertThat(world.endpoint(p.vmi()).node()).isEqualTo("node-1");
    assertThat(world.endpoint(p.vmi()).nodeAddress()).isNull();
    world.put(node1);
    world.put(a);

    try (World other = new World()) {
      other.put(node1, a);
      other.put(p);
      assertThat(world.endpoint(p.vmi())).isEqualTo(other.endpoint(p.vmi()));
      assertThat(World.state(world.compiler()).vrfs())
          .isEqualTo(World.state(other.compiler()).vrfs());
    }
  }

  @Test
  void interfaceOfAMissingMachineIsUnplaced() {
    VirtualMachine ghost = vm("ns", "ghost", node1);
    VirtualMachineInterface i = vmi("ns", "ghost", ghost, a);
    world.put(node1, a, i);

    assertThat(world.endpoint(i).placed()).isFalse();
    world.put(ghost);
    assertThat(world.endpoint(i).placed()).isTrue();
  }

  @Test
  void changeListenersHearOfChangedVrfsAndEndpoints() {
    List<String> heard = new ArrayList<>();
    world
        .compiler()
        .addChangeListener(
            new Compiler.ChangeListener() {
              @Override
              public void onVrfChanged(FqName network) {
                synchronized (heard) {
                  heard.add("vrf " + network.name());
                }
              }

              @Override
              public void onEndpointChanged(UUID interfaceUuid) {
                synchronized (heard) {
                  heard.add("endpoint " + interfaceUuid);
                }
              }
            });
    Pod p = pod("ns", "p", a, node1, "10.1.0.5");
    world.put(node1, a);
    world.put(p);

    synchronized (heard) {
      assertThat(heard).contains("vrf a", "endpoint " + p.id());
    }
  }
}
