package dev.weft.dataplane;

import static dev.weft.control.World.link;
import static dev.weft.control.World.linked;
import static dev.weft.control.World.net;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.policy;
import static dev.weft.control.World.ports;
import static dev.weft.control.World.router;
import static dev.weft.control.World.rule;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.control.Endpoint;
import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.model.Action;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Reachability matrices through the forwarding model. */
class ProbeTest {
  private final World world = new World();
  private final VirtualRouter node1 = router("node-1", "192.168.0.1");
  private final VirtualRouter node2 = router("node-2", "192.168.0.2");
  private final VirtualNetwork a = network("a");
  private final VirtualNetwork b = network("b");
  private final VirtualNetwork c = network("c");
  private final Pod a1 = pod("x", "a1", a, node1, "10.1.0.1");
  private final Pod a2 = pod("x", "a2", a, node2, "10.1.0.2");
  private final Pod b1 = pod("y", "b1", b, node2, "10.2.0.1");
  private final Pod c1 = pod("z", "c1", c, node1, "10.3.0.1");
  private final List<Pod> pods = List.of(a1, a2, b1, c1);

  @AfterEach
  void close() {
    world.close();
  }

  private static List<Probe.Source> sources(List<Pod> pods) {
    return pods.stream().map(p -> new Probe.Source(name(p), p.id())).toList();
  }

  private static List<Probe.Destination> destinations(List<Pod> pods, int... tcpPorts) {
    List<Probe.Destination> out = new ArrayList<>();
    for (Pod p : pods) {
      for (int port : tcpPorts) {
        out.add(new Probe.Destination(name(p), p.id(), Protocol.TCP, port));
      }
    }
    return out;
  }

  private static String name(Pod p) {
    return p.vm().annotations().get("namespace") + "/" + p.vm().annotations().get("name");
  }

  @Test
  void theMatrixHasARowPerSourceAndAColumnPerDestinationPort() {
    world.put(node1, node2, a, b, c);
    world.put(a1, a2, b1, c1);

    Probe.Matrix m = Probe.run(world.compiler(), sources(pods), destinations(pods, 80, 443));

    assertThat(m.sources()).containsExactly("x/a1", "x/a2", "y/b1", "z/c1");
    assertThat(m.destinations())
        .containsExactly(
            "x/a1:80/TCP",
            "x/a1:443/TCP",
            "x/a2:80/TCP",
            "x/a2:443/TCP",
            "y/b1:80/TCP",
            "y/b1:443/TCP",
            "z/c1:80/TCP",
            "z/c1:443/TCP");
    assertThat(m.rows()).hasSize(4).allSatisfy(r -> assertThat(r).hasSize(8));
    assertThat(Probe.protocolName(Protocol.UDP)).isEqualTo("UDP");
  }

  @Test
  void aSmallKnownMatrix() {
    // a -> b on TCP 80 only, one way; c isolated; every pod reaches itself.
    NetworkPolicy ab =
        policy("ab", rule(Action.PASS, Protocol.TCP, net(a), null, ">", net(b), ports(80)));
    world.put(node1, node2, ab, linked(a, link(ab, 1)), linked(b, link(ab, 1)), c);
    world.put(a1, a2, b1, c1);

    Probe.Matrix m = Probe.run(world.compiler(), sources(pods), destinations(pods, 80, 443));

    assertThat(m.rows())
        .containsExactly(
            // a1:80 a1:443 a2:80 a2:443 b1:80 b1:443 c1:80 c1:443
            "....." + "XXX", // x/a1
            "....." + "XXX", // x/a2
            "XXXX" + ".." + "XX", // y/b1
            "XXXXXX" + ".."); // z/c1
  }

  @Test
  void sourcesOrDestinationsWithoutAnInterfaceReachNothing() {
    world.put(node1, node2, a);
    world.put(a1, a2);
    List<Probe.Source> sources =
        List.of(new Probe.Source("x/a1", a1.id()), new Probe.Source("x/ghost", null));
    List<Probe.Destination> dests =
        List.of(
            new Probe.Destination("x/a2", a2.id(), Protocol.TCP, 80),
            new Probe.Destination("x/ghost", null, Protocol.TCP, 80),
            new Probe.Destination("x/gone", b1.id(), Protocol.TCP, 80));

    Probe.Matrix m = Probe.run(world.compiler(), sources, dests);

    assertThat(m.rows()).containsExactly(".XX", "XXX");
  }

  @Test
  void aPacketGoesFromTheFirstAddressFamilyBothEndsHave() {
    world.put(node1, a);
    Pod v6only = pod("x", "six", a, node1, "fd00::6");
    world.put(a1, v6only);
    world.put(World.ip("a1-v6", "fd00::1", a, a1.vmi()));

    Endpoint src = world.endpoint(a1.vmi());
    Endpoint dst = world.endpoint(v6only.vmi());
    Packet p = Probe.packet(src, dst, Protocol.TCP, 80, Probe.EPHEMERAL_FIRST);
    assertThat(p.source()).isEqualTo("fd00::1");
    assertThat(p.destination()).isEqualTo("fd00::6");
    assertThat(Probe.packet(dst, src, Protocol.ICMP, 80, 50000))
        .isEqualTo(new Packet(v6only.id(), Protocol.ICMP, "fd00::6", 0, "fd00::1", 0));

    Pod v4only = pod("x", "four", a, node1, "10.1.0.4");
    world.put(v4only);
    assertThat(Probe.packet(dst, world.endpoint(v4only.vmi()), Protocol.TCP, 80, 50000)).isNull();
  }

  @Test
  void eachCellIsTheVerdictOfTheForwardingModel() {
    NetworkPolicy ab =
        policy(
            "ab",
            rule(Action.DENY, Protocol.TCP, net(a), null, ">", net(b), ports(443)),
            rule(Action.PASS, Protocol.ANY, net(a), null, "<>", net(b), null));
    world.put(node1, node2, ab, linked(a, link(ab, 1)), linked(b, link(ab, 1)), c);
    world.put(a1, a2, b1, c1);
    List<Probe.Source> sources = sources(pods);
    List<Probe.Destination> dests = destinations(pods, 80, 443);

    Probe.Matrix m = Probe.run(world.compiler(), sources, dests);

    world.read(
        view -> {
          for (int i = 0; i < sources.size(); i++) {
            for (int j = 0; j < dests.size(); j++) {
              Endpoint s = view.endpoint(sources.get(i).interfaceUuid());
              Endpoint d = view.endpoint(dests.get(j).interfaceUuid());
              Packet p =
                  Probe.packet(s, d, Protocol.TCP, dests.get(j).port(), Probe.sourcePort(i, j));
              boolean delivered = ForwardingModel.evaluate(view, p, new ArrayList<>()).delivered();
              assertThat(m.rows().get(i).charAt(j))
                  .as(p.describe())
                  .isEqualTo(delivered ? Probe.REACHABLE : Probe.UNREACHABLE);
            }
          }
          return null;
        });
    assertThat(m.rows().get(0)).isEqualTo("....." + "XXX");
    // The deny is one way: b may open flows to a on 443.
    assertThat(m.rows().get(2)).isEqualTo("......" + "XX");
  }
}
