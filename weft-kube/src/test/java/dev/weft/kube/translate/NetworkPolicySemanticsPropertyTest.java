package dev.weft.kube.translate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.kube.ClusterConfig;
import dev.weft.kube.translate.NetworkPolicyInfo.Expression;
import dev.weft.kube.translate.NetworkPolicyInfo.Peer;
import dev.weft.kube.translate.NetworkPolicyInfo.Port;
import dev.weft.kube.translate.NetworkPolicyInfo.Rule;
import dev.weft.kube.translate.NetworkPolicyInfo.Selector;
import dev.weft.model.ContainerPort;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.FirewallPort;
import dev.weft.model.FirewallRule;
import dev.weft.model.Names;
import dev.weft.model.ObjectType;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random valid NetworkPolicies, translated, against a reference reading of the Kubernetes spec
 * written here from the API documentation: what a translated selector selects and what a translated
 * port admits must be exactly what the written one means, and rules, peers and ports keep their
 * number and order.
 *
 * <p>Rerun one seed with {@code -Dweft.netpol.seed=<seed>}.
 */
class NetworkPolicySemanticsPropertyTest {
  private static final List<String> KEYS = List.of("app", "tier", "env");
  private static final List<String> VALUES = List.of("a", "b", "c", "");
  private static final List<String> OPERATORS = List.of("In", "NotIn", "Exists", "DoesNotExist");
  private static final List<String> PORT_NAMES = List.of("http", "dns", "serve-80-tcp");
  private static final List<Protocol> PROTOCOLS =
      List.of(Protocol.TCP, Protocol.UDP, Protocol.SCTP);
  private static final Ref PROJECT =
      new Ref(ObjectType.PROJECT, UUID.randomUUID(), Names.projectFq("k8s", "dev"));

  static LongStream seeds() {
    String fixed = System.getProperty("weft.netpol.seed");
    if (fixed != null) {
      return LongStream.of(Long.parseLong(fixed));
    }
    return LongStream.range(0, 20).map(i -> 0x9E7_0000L + i * 104729);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void selectorsSelectExactlyWhatKubernetesSays(long seed) {
    Random random = new Random(seed);
    for (int round = 0; round < 200; round++) {
      Selector written = selector(random);
      NetworkPolicyInfo np =
          new NetworkPolicyInfo("dev", "p", uid(random), written, null, null, null);
      FirewallPolicy policy =
          NetworkPolicyObjects.desired(ClusterConfig.defaults(), np, PROJECT).policy();
      for (int i = 0; i < 20; i++) {
        Map<String, String> labels = labels(random);
        assertThat(policy.podSelector().matches(labels))
            .as("seed %d: selector %s on labels %s", seed, written, labels)
            .isEqualTo(reference(written, labels));
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void portsAdmitExactlyWhatKubernetesSays(long seed) {
    Random random = new Random(seed);
    for (int round = 0; round < 200; round++) {
      Port written = port(random);
      NetworkPolicyInfo np =
          new NetworkPolicyInfo(
              "dev",
              "p",
              uid(random),
              null,
              null,
              List.of(new Rule(List.of(), List.of(written))),
              null);
      FirewallPort translated =
          NetworkPolicyObjects.desired(ClusterConfig.defaults(), np, PROJECT)
              .policy()
              .ingressRules()
              .get(0)
              .ports()
              .get(0);
      for (int i = 0; i < 20; i++) {
        Protocol protocol = PROTOCOLS.get(random.nextInt(PROTOCOLS.size()));
        int number = 78 + random.nextInt(6);
        List<ContainerPort> declared = declared(random);
        assertThat(translated.matches(protocol, number, declared))
            .as(
                "seed %d: port %s, packet %s/%d, declared %s",
                seed, written, protocol, number, declared)
            .isEqualTo(reference(written, protocol, number, declared));
      }
    }
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void rulesPeersAndPortsKeepTheirNumberAndOrder(long seed) {
    Random random = new Random(seed);
    for (int round = 0; round < 100; round++) {
      List<Rule> ingress = rules(random);
      List<Rule> egress = rules(random);
      NetworkPolicyInfo np =
          new NetworkPolicyInfo(
              "dev",
              "p",
              uid(random),
              selector(random),
              List.of("Ingress", "Egress"),
              ingress,
              egress);
      FirewallPolicy policy =
          NetworkPolicyObjects.desired(ClusterConfig.defaults(), np, PROJECT).policy();
      assertShape(seed, ingress, policy.ingressRules());
      assertShape(seed, egress, policy.egressRules());
    }
  }

  private static void assertShape(long seed, List<Rule> written, List<FirewallRule> translated) {
    assertThat(translated).as("seed %d", seed).hasSize(written.size());
    for (int i = 0; i < written.size(); i++) {
      Rule w = written.get(i);
      FirewallRule t = translated.get(i);
      assertThat(t.peers()).as("seed %d rule %d", seed, i).hasSize(w.peers().size());
      for (int j = 0; j < w.peers().size(); j++) {
        Peer p = w.peers().get(j);
        assertThat(t.peers().get(j).podSelector() == null).isEqualTo(p.podSelector() == null);
        assertThat(t.peers().get(j).namespaceSelector() == null)
            .isEqualTo(p.namespaceSelector() == null);
      }
      assertThat(t.ports()).as("seed %d rule %d", seed, i).hasSize(w.ports().size());
    }
  }

  // --- the reference: the Kubernetes API documentation, read literally -------------------------

  /** LabelSelector: every matchLabels pair and every requirement holds (ANDed). */
  private static boolean reference(Selector s, Map<String, String> labels) {
    for (Map.Entry<String, String> e : s.matchLabels().entrySet()) {
      if (!labels.containsKey(e.getKey()) || !labels.get(e.getKey()).equals(e.getValue())) {
        return false;
      }
    }
    for (Expression e : s.matchExpressions()) {
      boolean has = labels.containsKey(e.key());
      boolean ok =
          switch (e.operator()) {
            case "In" -> has && e.values().contains(labels.get(e.key()));
            case "NotIn" -> !has || !e.values().contains(labels.get(e.key()));
            case "Exists" -> has;
            case "DoesNotExist" -> !has;
            default -> throw new IllegalStateException(e.operator());
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * NetworkPolicyPort: protocol (TCP when unset) must match; then the port as a number, the range
   * port..endPort, or the name of a container port the destination declares with that protocol; no
   * port is every port.
   */
  private static boolean reference(
      Port p, Protocol protocol, int number, List<ContainerPort> declared) {
    Protocol want = p.protocol() == null ? Protocol.TCP : Protocol.valueOf(p.protocol());
    if (want != protocol) {
      return false;
    }
    if (p.number() != null) {
      int end = p.endPort() == null ? p.number() : p.endPort();
      return number >= p.number() && number <= end;
    }
    if (p.name() != null) {
      return declared.stream()
          .anyMatch(
              c -> c.name().equals(p.name()) && c.protocol() == protocol && c.port() == number);
    }
    return true;
  }

  // --- generators -------------------------------------------------------------------------------

  private static String uid(Random random) {
    return new UUID(random.nextLong(), random.nextLong()).toString();
  }

  private static <T> T pick(Random random, List<T> from) {
    return from.get(random.nextInt(from.size()));
  }

  private static Selector selector(Random random) {
    Map<String, String> matchLabels = new HashMap<>();
    int labels = random.nextInt(3);
    for (int i = 0; i < labels; i++) {
      matchLabels.put(pick(random, KEYS), pick(random, VALUES));
    }
    List<Expression> expressions = new ArrayList<>();
    int count = random.nextInt(4);
    for (int i = 0; i < count; i++) {
      String op = pick(random, OPERATORS);
      List<String> values = new ArrayList<>();
      if (op.equals("In") || op.equals("NotIn")) {
        int n = 1 + random.nextInt(3);
        for (int j = 0; j < n; j++) {
          values.add(pick(random, VALUES));
        }
      }
      expressions.add(new Expression(pick(random, KEYS), op, values));
    }
    return new Selector(matchLabels, expressions);
  }

  private static Map<String, String> labels(Random random) {
    Map<String, String> out = new HashMap<>();
    for (String k : KEYS) {
      if (random.nextInt(3) > 0) {
        out.put(k, pick(random, VALUES));
      }
    }
    return out;
  }

  private static Port port(Random random) {
    String protocol = random.nextInt(4) == 0 ? null : pick(random, PROTOCOLS).name();
    return switch (random.nextInt(4)) {
      case 0 -> new Port(protocol, null, null, null);
      case 1 -> new Port(protocol, 78 + random.nextInt(6), null, null);
      case 2 -> {
        int start = 78 + random.nextInt(4);
        yield new Port(protocol, start, null, start + random.nextInt(3));
      }
      default -> new Port(protocol, null, pick(random, PORT_NAMES), null);
    };
  }

  private static List<ContainerPort> declared(Random random) {
    List<ContainerPort> out = new ArrayList<>();
    int n = random.nextInt(4);
    for (int i = 0; i < n; i++) {
      out.add(
          new ContainerPort(
              pick(random, PORT_NAMES), pick(random, PROTOCOLS), 78 + random.nextInt(6)));
    }
    return out;
  }

  private static List<Rule> rules(Random random) {
    List<Rule> out = new ArrayList<>();
    int n = random.nextInt(4);
    for (int i = 0; i < n; i++) {
      List<Peer> peers = new ArrayList<>();
      int peerCount = random.nextInt(3);
      for (int j = 0; j < peerCount; j++) {
        peers.add(
            switch (random.nextInt(4)) {
              case 0 -> new Peer(selector(random), null, null);
              case 1 -> new Peer(null, selector(random), null);
              case 2 -> new Peer(selector(random), selector(random), null);
              default ->
                  new Peer(
                      null,
                      null,
                      new NetworkPolicyInfo.IpBlock("10.0.0.0/8", List.of("10.1.0.0/16")));
            });
      }
      List<Port> ports = new ArrayList<>();
      int portCount = random.nextInt(3);
      for (int j = 0; j < portCount; j++) {
        ports.add(port(random));
      }
      out.add(new Rule(peers, ports));
    }
    return out;
  }
}
