package dev.weft.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.control.Acl;
import dev.weft.control.AclEntry;
import dev.weft.control.CompiledView;
import dev.weft.control.Endpoint;
import dev.weft.control.NextHop;
import dev.weft.control.Route;
import dev.weft.control.Vrf;
import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.model.Action;
import dev.weft.model.AddressMatch;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.PolicyLink;
import dev.weft.model.PolicyRule;
import dev.weft.model.PortRange;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The forwarding model against a plain reading of the rules over the compiled state (a linear scan
 * of each VRF's routes, each ACL's entries matched with the model's own predicates), for random
 * networks, policies and pods: every probe cell, and the verdict with and without steps, agree.
 * This pins down what the fast path of {@link ForwardingModel#evaluate} must keep doing however it
 * is optimised.
 */
class ForwardingModelPropertyTest {
  private static final int NETWORKS = 5;
  private static final List<Protocol> PROTOCOLS =
      List.of(Protocol.TCP, Protocol.UDP, Protocol.ICMP, Protocol.SCTP);

  static LongStream seeds() {
    return LongStream.range(0, Long.getLong("weft.property.seeds", 20)).map(i -> 0xf10_0000L + i);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void probeAndEvaluateAgreeWithAPlainReadingOfTheRules(long seed) {
    Random random = new Random(seed);
    try (World world = new World()) {
      List<Pod> pods = build(world, random);
      List<Probe.Source> sources = new ArrayList<>();
      List<Probe.Destination> dests = new ArrayList<>();
      for (Pod p : pods) {
        sources.add(new Probe.Source(p.vmi().fqName().name(), p.id()));
        for (int k = 0; k < 2; k++) {
          Protocol protocol = PROTOCOLS.get(random.nextInt(PROTOCOLS.size()));
          dests.add(
              new Probe.Destination(
                  p.vmi().fqName().name(), p.id(), protocol, random.nextInt(100)));
        }
      }
      Probe.Matrix m = Probe.run(world.compiler(), sources, dests);
      world.read(
          view -> {
            for (int i = 0; i < sources.size(); i++) {
              for (int j = 0; j < dests.size(); j++) {
                check(view, seed, m, sources, dests, i, j);
              }
            }
            return null;
          });
    }
  }

  private static void check(
      CompiledView view,
      long seed,
      Probe.Matrix m,
      List<Probe.Source> sources,
      List<Probe.Destination> dests,
      int i,
      int j) {
    Endpoint s = view.endpoint(sources.get(i).interfaceUuid());
    Endpoint d = view.endpoint(dests.get(j).interfaceUuid());
    Probe.Destination dest = dests.get(j);
    Packet p = Probe.packet(s, d, dest.protocol(), dest.port(), Probe.sourcePort(i, j));
    boolean expected = p != null && plainly(view, p);
    String where = "seed " + Long.toHexString(seed) + " cell " + i + "," + j + ": ";
    assertThat(m.rows().get(i).charAt(j) == Probe.REACHABLE)
        .as(where + (p == null ? "no common family" : p.describe()))
        .isEqualTo(expected);
    if (p != null) {
      List<Step> steps = new ArrayList<>();
      Verdict explained = ForwardingModel.evaluate(view, p, steps);
      Verdict fast = ForwardingModel.evaluate(view, p, null);
      assertThat(explained.delivered()).as(where + p.describe() + " " + steps).isEqualTo(expected);
      assertThat(fast.delivered()).as(where + p.describe()).isEqualTo(expected);
      assertThat(fast.destinationInterface()).isEqualTo(explained.destinationInterface());
      assertThat(explained.steps()).isEqualTo(steps).isNotEmpty();
    }
  }

  /** The reachability rules for custom networks, read as plainly as possible. */
  private static boolean plainly(CompiledView view, Packet p) {
    Endpoint src = view.endpoint(p.sourceInterface());
    if (src == null || !src.addresses().contains(p.source())) {
      return false;
    }
    if (src.addresses().contains(p.destination())) {
      return true;
    }
    Vrf vrf = view.vrf(src.network());
    if (!src.placed() || vrf == null) {
      return false;
    }
    Route best = null;
    for (Route r : vrf.routes()) { // own routes first, then leaked ones in network order
      if (r.prefix().contains(p.destination())
          && (best == null || r.prefix().length() > best.prefix().length())) {
        best = r;
      }
    }
    if (best == null) {
      return false;
    }
    NextHop.Interface hop =
        best.nextHop() instanceof NextHop.Ecmp e
            ? e.members()
                .get(
                    dev.weft.control.Jhash.backend(p.source(), p.destination(), e.members().size()))
            : (NextHop.Interface) best.nextHop();
    Endpoint dst = view.endpoint(hop.interfaceUuid());
    if (dst == null || !passes(vrf.acl(), src.network(), dst.network(), p) || !dst.placed()) {
      return false;
    }
    Vrf in = view.vrf(dst.network());
    return in != null && passes(in.acl(), src.network(), dst.network(), p);
  }

  private static boolean passes(Acl acl, FqName from, FqName to, Packet p) {
    for (AclEntry e : acl.entries()) {
      if (e.protocol().matches(p.protocol())
          && end(e.source(), from, p.source())
          && end(e.destination(), to, p.destination())
          && (p.protocol() == Protocol.ICMP
              || (port(e.sourcePorts(), p.sourcePort())
                  && port(e.destinationPorts(), p.destinationPort())))) {
        return e.action() == Action.PASS;
      }
    }
    if (acl.network().equals(from) && acl.network().equals(to)) {
      return true;
    }
    return acl.policies().isEmpty() && acl.missing().isEmpty();
  }

  private static boolean end(AddressMatch m, FqName network, String address) {
    if (m.virtualNetwork() != null) {
      return m.virtualNetwork().equals(network);
    }
    return m.subnet() == null || m.subnet().contains(address);
  }

  private static boolean port(List<PortRange> ranges, int port) {
    return ranges.stream().anyMatch(r -> r.contains(port));
  }

  // ---------------------------------------------------------------------------------------------
  // A random world

  private static List<Pod> build(World world, Random random) {
    List<VirtualRouter> nodes =
        List.of(World.router("node-1", "192.168.0.1"), World.router("node-2", "192.168.0.2"));
    world.put(nodes.toArray(ConfigObject[]::new));
    List<NetworkPolicy> policies = new ArrayList<>();
    for (int k = 0; k < 4; k++) {
      List<PolicyRule> rules = new ArrayList<>();
      int count = 1 + random.nextInt(4);
      for (int r = 0; r < count; r++) {
        rules.add(rule(random));
      }
      policies.add(World.policy("p" + k, rules.toArray(PolicyRule[]::new)));
    }
    world.put(policies.toArray(ConfigObject[]::new));
    List<VirtualNetwork> networks = new ArrayList<>();
    for (int n = 0; n < NETWORKS; n++) {
      List<PolicyLink> links = new ArrayList<>();
      for (NetworkPolicy p : policies) {
        if (random.nextInt(3) == 0) {
          links.add(World.link(p, random.nextInt(3)));
        }
      }
      networks.add(World.network("n" + n, links.toArray(PolicyLink[]::new)));
    }
    world.put(networks.toArray(ConfigObject[]::new));
    List<Pod> pods = new ArrayList<>();
    List<ConfigObject> objects = new ArrayList<>();
    for (int k = 0; k < 16; k++) {
      int n = random.nextInt(NETWORKS);
      VirtualRouter node = random.nextInt(8) == 0 ? null : nodes.get(random.nextInt(2));
      // Addresses from a small pool, so that some are claimed twice (an ECMP route).
      String address = "10." + n + ".0." + (1 + random.nextInt(12));
      Pod pod = World.pod("ns", "pod-" + k, networks.get(n), node, address);
      pods.add(pod);
      world.put(pod);
      if (random.nextInt(4) == 0) {
        world.put(
            World.ip("v6-" + k, "fd00::" + (1 + random.nextInt(8)), networks.get(n), pod.vmi()));
      }
    }
    return pods;
  }

  private static PolicyRule rule(Random random) {
    Action action = random.nextInt(3) == 0 ? Action.DENY : Action.PASS;
    Protocol protocol =
        List.of(Protocol.ANY, Protocol.ANY, Protocol.TCP, Protocol.UDP, Protocol.ICMP)
            .get(random.nextInt(5));
    return new PolicyRule(
        action,
        random.nextBoolean() ? ">" : "<>",
        protocol,
        end(random),
        ports(random),
        end(random),
        ports(random));
  }

  private static AddressMatch end(Random random) {
    int k = random.nextInt(10);
    if (k < 7) {
      return AddressMatch.network(World.networkName("n" + random.nextInt(NETWORKS)));
    }
    if (k < 8) {
      return AddressMatch.ANY;
    }
    List<String> subnets = List.of("10.0.0.0/8", "10.1.0.0/16", "10.2.0.0/29", "fd00::/120");
    return World.subnet(subnets.get(random.nextInt(subnets.size())));
  }

  private static List<PortRange> ports(Random random) {
    if (random.nextInt(3) != 0) {
      return null;
    }
    int start = random.nextInt(80);
    return List.of(new PortRange(start, start + random.nextInt(40)));
  }
}
