package dev.weft.agent.linux;

import static dev.weft.control.World.namespace;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.router;
import static dev.weft.control.policy.Policies.block;
import static dev.weft.control.policy.Policies.declared;
import static dev.weft.control.policy.Policies.labels;
import static dev.weft.control.policy.Policies.named;
import static dev.weft.control.policy.Policies.namespaces;
import static dev.weft.control.policy.Policies.podsIn;
import static dev.weft.control.policy.Policies.port;
import static dev.weft.control.policy.Policies.sel;
import static dev.weft.control.policy.Policies.tcp;
import static dev.weft.control.policy.Policies.udp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.control.policy.Policies;
import dev.weft.control.policy.PolicyView;
import dev.weft.model.ContainerPort;
import dev.weft.model.FirewallPeer;
import dev.weft.model.FirewallPort;
import dev.weft.model.FirewallRule;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * NetworkPolicy as rendered sets (identities, {@code np_eg4}, {@code np_in4}) decides every packet
 * as the compiled policy does ({@link PolicyView#egressAllows}, {@link PolicyView#ingressAllows}):
 * random pods, labels, declared named ports and policies with pod, namespace and ipBlock peers,
 * numbered, ranged and named ports; each packet judged on its source's node (egress) and its
 * destination's node (ingress), as the kernel does.
 */
class PolicyCompilerPropertyTest {
  private static final String[] NAMESPACES = {"x", "y"};
  private static final String[] APPS = {"web", "db", ""};

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
  void renderedSetsDecideAsThePolicyEngine(long seed) {
    Random random = new Random(seed);
    try (World world = new World()) {
      VirtualRouter[] nodes = {router("node-1", "172.31.250.1"), router("node-2", "172.31.250.2")};
      VirtualNetwork net = network("pods");
      world.put(nodes[0], nodes[1], net);
      world.put(
          namespace("x", labels("ns=x,team=" + (random.nextBoolean() ? "a" : "b"))),
          namespace("y", labels("ns=y,team=" + (random.nextBoolean() ? "a" : "b"))));
      List<Pod> pods = new ArrayList<>();
      for (int i = 1; i <= 10; i++) {
        String ns = NAMESPACES[random.nextInt(2)];
        String app = APPS[random.nextInt(APPS.length)];
        List<ContainerPort> ports = new ArrayList<>();
        if (random.nextBoolean()) {
          ports.add(declared("http", Protocol.TCP, random.nextBoolean() ? 8080 : 8081));
        }
        Pod p =
            World.labelled(
                pod(ns, "p" + i, net, nodes[random.nextInt(2)], "10.32.0." + i),
                app.isEmpty() ? labels("") : labels("app=" + app),
                ports.toArray(ContainerPort[]::new));
        pods.add(p);
      }
      world.put(pods.toArray(Pod[]::new));
      for (int i = 0; i < 4; i++) {
        String ns = NAMESPACES[random.nextInt(2)];
        String app = APPS[random.nextInt(APPS.length)];
        Policies.Builder b =
            Policies.policy(ns, "np" + i, app.isEmpty() ? sel("") : sel("app=" + app));
        if (random.nextBoolean()) {
          b = b.ingress(rules(random));
        }
        if (random.nextBoolean() || !app.isEmpty()) {
          b = b.egress(rules(random));
        }
        world.put(b.build());
      }
      Map<String, NodeState> states =
          Map.of(
              "node-1", world.read(v -> new NodeRenderer().render(v, "node-1")),
              "node-2", world.read(v -> new NodeRenderer().render(v, "node-2")));
      PolicyView pv = world.read(v -> v.policies());
      int denied = 0;
      for (Pod src : pods) {
        for (Pod dst : pods) {
          if (src == dst) {
            continue;
          }
          for (Object[] pp :
              new Object[][] {
                {Protocol.TCP, 8080},
                {Protocol.TCP, 8081},
                {Protocol.TCP, 9000},
                {Protocol.UDP, 53},
                {Protocol.ICMP, 0}
              }) {
            Protocol p = (Protocol) pp[0];
            int port = (Integer) pp[1];
            boolean egress =
                world.read(
                    v -> v.policies().egressAllows(src.id(), dst.id(), dst.address(), p, port));
            boolean ingress =
                world.read(
                    v -> v.policies().ingressAllows(dst.id(), src.id(), src.address(), p, port));
            String what =
                "seed "
                    + seed
                    + ": "
                    + p
                    + " "
                    + src.address()
                    + " -> "
                    + dst.address()
                    + ":"
                    + port;
            assertThat(kernelEgress(states, world, src, dst.address(), p, port))
                .as("egress " + what)
                .isEqualTo(egress);
            assertThat(kernelIngress(states, world, dst, src.address(), p, port))
                .as("ingress " + what)
                .isEqualTo(ingress);
            denied += egress && ingress ? 0 : 1;
          }
        }
        for (String outside : List.of("192.0.2.7", "10.32.0.20", "10.32.0.12")) {
          boolean ingress =
              world.read(
                  v -> v.policies().ingressAllows(src.id(), null, outside, Protocol.TCP, 8080));
          assertThat(kernelIngress(states, world, src, outside, Protocol.TCP, 8080))
              .as("seed %d: ingress from outside %s to %s", seed, outside, src.address())
              .isEqualTo(ingress);
        }
      }
      assertThat(denied).as("seed %d denies something", seed).isPositive();
      assertThat(pv.policies()).hasSize(4);
    }
  }

  private static FirewallRule[] rules(Random random) {
    FirewallRule[] out = new FirewallRule[1 + random.nextInt(2)];
    for (int i = 0; i < out.length; i++) {
      List<FirewallPeer> peers = new ArrayList<>();
      for (int j = 0, n = random.nextInt(3); j < n; j++) {
        peers.add(
            switch (random.nextInt(4)) {
              case 0 -> Policies.pods(sel("app=" + APPS[random.nextInt(2)]));
              case 1 -> namespaces(sel("team=" + (random.nextBoolean() ? "a" : "b")));
              case 2 -> podsIn(sel("ns=" + NAMESPACES[random.nextInt(2)]), sel("app=web"));
              default ->
                  random.nextBoolean()
                      ? block("10.32.0.0/28")
                      : block("10.32.0.0/27", "10.32.0.8/29");
            });
      }
      List<FirewallPort> ports = new ArrayList<>();
      for (int j = 0, n = random.nextInt(3); j < n; j++) {
        ports.add(
            switch (random.nextInt(5)) {
              case 0 -> tcp(8080);
              case 1 -> tcp(8081);
              case 2 -> port(Protocol.TCP, 8000, 8100);
              case 3 -> named(Protocol.TCP, "http");
              default -> udp(53);
            });
      }
      out[i] = Policies.rule(peers, ports);
    }
    return out;
  }

  private static boolean kernelEgress(
      Map<String, NodeState> states, World world, Pod src, String to, Protocol p, int port) {
    String node = world.endpoint(src.vmi()).node();
    NodeState s = states.get(node);
    String dev = s.pod(src.id()).hostDevice();
    if (!NftSets.contains(s.nft().set("np_eg_iso"), List.of(dev))) {
      return true;
    }
    return NftSets.contains(
        s.nft().set("np_eg4"),
        List.of(dev, to, identity(s, to), NftRenderer.protocol(p, false), port));
  }

  private static boolean kernelIngress(
      Map<String, NodeState> states, World world, Pod dst, String from, Protocol p, int port) {
    NodeState s = states.get(world.endpoint(dst.vmi()).node());
    String dev = s.pod(dst.id()).hostDevice();
    if (!NftSets.contains(s.nft().set("np_in_iso"), List.of(dev))) {
      return true;
    }
    return NftSets.contains(
        s.nft().set("np_in4"),
        List.of(dev, from, identity(s, from), NftRenderer.protocol(p, false), port));
  }

  private static long identity(NodeState s, String address) {
    dev.weft.agent.linux.Nft.Element e = NftSets.lookup(s.nft().set("identity4"), List.of(address));
    return e == null ? 0 : Long.parseLong(e.value());
  }
}
