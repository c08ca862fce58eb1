package dev.weft.dataplane;

import static dev.weft.control.World.network;
import static dev.weft.control.World.router;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.control.Endpoint;
import dev.weft.control.World;
import dev.weft.model.ConfigObject;
import dev.weft.model.ContainerPort;
import dev.weft.model.FirewallPeer;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.FirewallPort;
import dev.weft.model.FirewallRule;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpBlock;
import dev.weft.model.IpPrefix;
import dev.weft.model.LabelRequirement;
import dev.weft.model.LabelSelector;
import dev.weft.model.Owner;
import dev.weft.model.Project;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualMachine;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The compiled NetworkPolicy enforcement, as the forwarding model applies it, against a reference
 * evaluator of the Kubernetes NetworkPolicy spec written only for this test (straight from the
 * spec's words, with its own selector matching, no shared code with Weft), on random namespaces,
 * labels, declared ports and policies. Every pod × pod × port cell must agree.
 *
 * <p>The world is one virtual network, so the virtual-network ACLs pass everything and only
 * NetworkPolicy decides. Policies mix everything the spec has: selectors with matchLabels and each
 * matchExpressions operator, peers with pod and/or namespace selectors or ipBlocks with excepts,
 * numbered, named and ranged ports of each protocol, ingress and egress.
 */
class NetworkPolicyReferencePropertyTest {
  private static final String[] NAMESPACE_KEYS = {"team", "env"};
  private static final String[] NAMESPACE_VALUES = {"red", "blue", "prod"};
  private static final String[] POD_KEYS = {"app", "tier", "track"};
  private static final String[] POD_VALUES = {"web", "db", "canary"};
  private static final List<Cell> PROBES =
      List.of(
          new Cell(Protocol.TCP, 80),
          new Cell(Protocol.TCP, 81),
          new Cell(Protocol.UDP, 80),
          new Cell(Protocol.SCTP, 80),
          new Cell(Protocol.TCP, 8080));
  private static final List<Declared> PORT_CHOICES =
      List.of(
          new Declared("serve-80-tcp", "TCP", 80),
          new Declared("serve-81-tcp", "TCP", 81),
          new Declared("serve-80-udp", "UDP", 80),
          new Declared("serve-80-sctp", "SCTP", 80),
          new Declared("http", "TCP", 8080),
          new Declared("http", "TCP", 81));

  // --- the test's own description of a cluster, as Kubernetes has it ------------------------

  record Cell(Protocol protocol, int port) {}

  record Declared(String name, String protocol, int port) {}

  record Ns(String name, Map<String, String> labels) {}

  record Pod(String ns, String name, String ip, Map<String, String> labels, List<Declared> ports) {
    String key() {
      return ns + "/" + name;
    }
  }

  /** A requirement as Kubernetes writes it: key, operator, values. */
  record Expr(String key, String op, List<String> values) {}

  record Sel(Map<String, String> matchLabels, List<Expr> exprs) {}

  /** A peer: pod selector and/or namespace selector (null = absent), or an ipBlock. */
  record Peer(Sel pods, Sel namespaces, String cidr, List<String> except) {}

  /** A port: protocol; port number or name (or neither); endPort. */
  record Port(String protocol, Integer number, String name, Integer endPort) {}

  record Rule(List<Peer> peers, List<Port> ports) {}

  record Policy(
      String ns,
      String name,
      Sel podSelector,
      boolean ingress,
      boolean egress,
      List<Rule> ingressRules,
      List<Rule> egressRules) {}

  // --- the reference evaluator: the spec, read literally -------------------------------------

  static final class Reference {
    private final Map<String, Ns> namespaces;
    private final List<Policy> policies;

    Reference(List<Ns> namespaces, List<Policy> policies) {
      this.namespaces = new LinkedHashMap<>();
      namespaces.forEach(n -> this.namespaces.put(n.name(), n));
      this.policies = policies;
    }

    static boolean selects(Sel s, Map<String, String> labels) {
      for (var e : s.matchLabels().entrySet()) {
        if (!labels.containsKey(e.getKey()) || !labels.get(e.getKey()).equals(e.getValue())) {
          return false;
        }
      }
      for (Expr x : s.exprs()) {
        boolean has = labels.containsKey(x.key());
        boolean ok =
            switch (x.op()) {
              case "In" -> has && x.values().contains(labels.get(x.key()));
              case "NotIn" -> !has || !x.values().contains(labels.get(x.key()));
              case "Exists" -> has;
              case "DoesNotExist" -> !has;
              default -> throw new IllegalStateException(x.op());
            };
        if (!ok) {
          return false;
        }
      }
      return true;
    }

    /** "the pods selected by podSelector in the policy's namespace". */
    boolean applies(Policy p, Pod pod) {
      return p.ns().equals(pod.ns()) && selects(p.podSelector(), pod.labels());
    }

    static long ip(String a) {
      String[] o = a.split("\\.");
      return (Long.parseLong(o[0]) << 24)
          | (Long.parseLong(o[1]) << 16)
          | (Long.parseLong(o[2]) << 8)
          | Long.parseLong(o[3]);
    }

    static boolean inCidr(String cidr, String address) {
      String[] parts = cidr.split("/");
      int len = Integer.parseInt(parts[1]);
      long mask = len == 0 ? 0 : (0xffffffffL << (32 - len)) & 0xffffffffL;
      return (ip(parts[0]) & mask) == (ip(address) & mask);
    }

    /** Whether the peer (the other end of the connection) matches. */
    boolean peerMatches(Policy p, Peer peer, Pod other) {
      if (peer.cidr() != null) {
        return inCidr(peer.cidr(), other.ip())
            && peer.except().stream().noneMatch(e -> inCidr(e, other.ip()));
      }
      boolean nsOk =
          peer.namespaces() == null
              ? other.ns().equals(p.ns())
              : selects(peer.namespaces(), namespaces.get(other.ns()).labels());
      boolean podOk = peer.pods() == null || selects(peer.pods(), other.labels());
      return nsOk && podOk;
    }

    /** Port matching on the destination pod (named ports are the destination's). */
    static boolean portMatches(Port port, Cell probe, Pod destination) {
      if (!port.protocol().equals(probe.protocol().name())) {
        return false;
      }
      if (port.name() != null) {
        return destination.ports().stream()
            .anyMatch(
                d ->
                    d.name().equals(port.name())
                        && d.protocol().equals(port.protocol())
                        && d.port() == probe.port());
      }
      if (port.number() == null) {
        return true;
      }
      int end = port.endPort() == null ? port.number() : port.endPort();
      return probe.port() >= port.number() && probe.port() <= end;
    }

    boolean ruleAllows(Policy p, Rule r, Pod other, Cell probe, Pod destination) {
      boolean peerOk =
          r.peers().isEmpty() || r.peers().stream().anyMatch(x -> peerMatches(p, x, other));
      boolean portOk =
          r.ports().isEmpty()
              || r.ports().stream().anyMatch(x -> portMatches(x, probe, destination));
      return peerOk && portOk;
    }

    boolean allowed(Pod src, Pod dst, Cell probe) {
      if (src == dst) {
        return true;
      }
      List<Policy> egress = policies.stream().filter(p -> p.egress() && applies(p, src)).toList();
      boolean egressOk =
          egress.isEmpty()
              || egress.stream()
                  .anyMatch(
                      p ->
                          p.egressRules().stream()
                              .anyMatch(r -> ruleAllows(p, r, dst, probe, dst)));
      List<Policy> ingress = policies.stream().filter(p -> p.ingress() && applies(p, dst)).toList();
      boolean ingressOk =
          ingress.isEmpty()
              || ingress.stream()
                  .anyMatch(
                      p ->
                          p.ingressRules().stream()
                              .anyMatch(r -> ruleAllows(p, r, src, probe, dst)));
      return egressOk && ingressOk;
    }
  }

  // --- random clusters -----------------------------------------------------------------------

  static Stream<Long> seeds() {
    return LongStream.range(0, Long.getLong("weft.netpol.seeds", 60)).boxed();
  }

  private static <T> T pick(Random r, T[] a) {
    return a[r.nextInt(a.length)];
  }

  private static Map<String, String> labels(Random r, String[] keys, String[] values) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String k : keys) {
      if (r.nextInt(10) < 6) {
        out.put(k, pick(r, values));
      }
    }
    return out;
  }

  private static Sel selector(Random r, String[] keys, String[] values) {
    if (r.nextInt(4) == 0) {
      return new Sel(Map.of(), List.of());
    }
    Map<String, String> match = new LinkedHashMap<>();
    List<Expr> exprs = new ArrayList<>();
    int n = 1 + r.nextInt(2);
    for (int i = 0; i < n; i++) {
      String key = pick(r, keys);
      switch (r.nextInt(5)) {
        case 0 -> match.put(key, pick(r, values));
        case 1 ->
            exprs.add(
                new Expr(
                    key,
                    "In",
                    List.of(pick(r, values), pick(r, values)).stream().distinct().toList()));
        case 2 -> exprs.add(new Expr(key, "NotIn", List.of(pick(r, values))));
        case 3 -> exprs.add(new Expr(key, "Exists", List.of()));
        default -> exprs.add(new Expr(key, "DoesNotExist", List.of()));
      }
    }
    return new Sel(match, exprs);
  }

  private static Rule rule(Random r, List<Pod> pods) {
    List<Peer> peers = new ArrayList<>();
    int n = r.nextInt(5) == 0 ? 0 : 1 + r.nextInt(2);
    for (int i = 0; i < n; i++) {
      switch (r.nextInt(4)) {
        case 0 -> peers.add(new Peer(selector(r, POD_KEYS, POD_VALUES), null, null, List.of()));
        case 1 ->
            peers.add(
                new Peer(null, selector(r, NAMESPACE_KEYS, NAMESPACE_VALUES), null, List.of()));
        case 2 ->
            peers.add(
                new Peer(
                    selector(r, POD_KEYS, POD_VALUES),
                    selector(r, NAMESPACE_KEYS, NAMESPACE_VALUES),
                    null,
                    List.of()));
        default -> {
          Pod target = pods.get(r.nextInt(pods.size()));
          String[] o = target.ip().split("\\.");
          String cidr =
              r.nextBoolean() ? target.ip() + "/32" : o[0] + "." + o[1] + "." + o[2] + ".0/24";
          List<String> except = new ArrayList<>();
          if (cidr.endsWith("/24") && r.nextBoolean()) {
            except.add(pods.get(r.nextInt(pods.size())).ip() + "/32");
          }
          peers.add(new Peer(null, null, cidr, except));
        }
      }
    }
    List<Port> ports = new ArrayList<>();
    int m = r.nextInt(3) == 0 ? 0 : 1 + r.nextInt(2);
    String[] protocols = {"TCP", "TCP", "UDP", "SCTP"};
    for (int i = 0; i < m; i++) {
      String protocol = pick(r, protocols);
      switch (r.nextInt(4)) {
        case 0 -> ports.add(new Port(protocol, null, null, null));
        case 1 -> ports.add(new Port(protocol, r.nextBoolean() ? 80 : 81, null, null));
        case 2 -> ports.add(new Port(protocol, 79 + r.nextInt(3), null, 81 + r.nextInt(8000)));
        default ->
            ports.add(
                new Port(
                    protocol,
                    null,
                    pick(
                        r,
                        new String[] {
                          "serve-80-tcp", "serve-81-tcp", "serve-80-udp", "http", "nope"
                        }),
                    null));
      }
    }
    return new Rule(peers, ports);
  }

  // --- the same cluster as Weft's objects ----------------------------------------------------

  private static LabelSelector toModel(Sel s) {
    return new LabelSelector(
        s.matchLabels(),
        s.exprs().stream()
            .map(
                x ->
                    new LabelRequirement(
                        x.key(), LabelRequirement.Operator.parse(x.op()), x.values()))
            .toList());
  }

  private static FirewallPolicy toModel(Policy p) {
    return new FirewallPolicy(
        World.uuid("firewall-policy", p.ns() + "/" + p.name()),
        FqName.of(World.DOMAIN, "k8s-" + p.ns(), "k8s__" + p.ns() + "__" + p.name()),
        null,
        new Owner("k8s", "NetworkPolicy", p.ns(), p.name(), "").annotations(),
        p.ns(),
        toModel(p.podSelector()),
        p.ingress(),
        p.egress(),
        p.ingressRules().stream().map(NetworkPolicyReferencePropertyTest::toModel).toList(),
        p.egressRules().stream().map(NetworkPolicyReferencePropertyTest::toModel).toList());
  }

  private static FirewallRule toModel(Rule r) {
    return new FirewallRule(
        r.peers().stream()
            .map(
                x ->
                    x.cidr() != null
                        ? FirewallPeer.addresses(
                            new IpBlock(
                                IpPrefix.parse(x.cidr()),
                                x.except().stream().map(IpPrefix::parse).toList()))
                        : FirewallPeer.pods(
                            x.pods() == null ? null : toModel(x.pods()),
                            x.namespaces() == null ? null : toModel(x.namespaces())))
            .toList(),
        r.ports().stream()
            .map(
                x ->
                    new FirewallPort(
                        Protocol.parse(x.protocol()), x.number(), x.name(), x.endPort()))
            .toList());
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void compiledEnforcementAgreesWithTheSpec(long seed) {
    Random r = new Random(seed);
    List<Ns> namespaces = new ArrayList<>();
    int nsCount = 2 + r.nextInt(3);
    for (int i = 0; i < nsCount; i++) {
      namespaces.add(new Ns("n" + i, labels(r, NAMESPACE_KEYS, NAMESPACE_VALUES)));
    }
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < nsCount; i++) {
      int podCount = 1 + r.nextInt(3);
      for (int j = 0; j < podCount; j++) {
        List<Declared> declared = new ArrayList<>();
        for (Declared d : PORT_CHOICES) {
          if (r.nextInt(3) > 0 && declared.stream().noneMatch(x -> x.name().equals(d.name()))) {
            declared.add(d);
          }
        }
        pods.add(
            new Pod(
                "n" + i,
                "p" + j,
                "10.32." + (i % 2) + "." + (10 + i * 10 + j),
                labels(r, POD_KEYS, POD_VALUES),
                declared));
      }
    }
    List<Policy> policies = new ArrayList<>();
    int policyCount = r.nextInt(6);
    for (int i = 0; i < policyCount; i++) {
      boolean ingress = r.nextInt(4) > 0;
      boolean egress = !ingress || r.nextBoolean();
      List<Rule> in = new ArrayList<>();
      List<Rule> out = new ArrayList<>();
      for (int k = r.nextInt(3); k > 0; k--) {
        in.add(rule(r, pods));
      }
      for (int k = r.nextInt(3); k > 0; k--) {
        out.add(rule(r, pods));
      }
      policies.add(
          new Policy(
              "n" + r.nextInt(nsCount),
              "np" + i,
              selector(r, POD_KEYS, POD_VALUES),
              ingress,
              egress,
              ingress ? in : List.of(),
              egress ? out : List.of()));
    }

    try (World world = new World()) {
      VirtualRouter node1 = router("node-1", "192.168.0.1");
      VirtualRouter node2 = router("node-2", "192.168.0.2");
      VirtualNetwork net = network("pods");
      world.put(node1, node2, net);
      List<ConfigObject> objects = new ArrayList<>();
      for (Ns n : namespaces) {
        objects.add(
            new Project(
                World.uuid("project", n.name()),
                FqName.of(World.DOMAIN, "k8s-" + n.name()),
                null,
                Owner.namespace("k8s", n.name(), "").annotations(),
                n.labels()));
      }
      Map<String, UUID> interfaces = new LinkedHashMap<>();
      for (Pod p : pods) {
        VirtualMachine vm = World.vm(p.ns(), p.name(), r.nextBoolean() ? node1 : node2);
        VirtualMachineInterface base = World.vmi(p.ns(), p.name(), vm, net);
        VirtualMachineInterface vmi =
            new VirtualMachineInterface(
                base.uuid(),
                base.fqName(),
                base.parent(),
                base.annotations(),
                base.virtualMachine(),
                base.virtualNetwork(),
                base.macAddress(),
                List.of(),
                List.of(),
                p.labels(),
                p.ports().stream()
                    .map(d -> new ContainerPort(d.name(), Protocol.parse(d.protocol()), d.port()))
                    .toList());
        InstanceIp ip = World.ip(p.ip(), net, vmi);
        objects.add(vm);
        objects.add(vmi);
        objects.add(ip);
        interfaces.put(p.key(), vmi.uuid());
      }
      policies.forEach(p -> objects.add(toModel(p)));
      world.put(objects.toArray(ConfigObject[]::new));

      Reference reference = new Reference(namespaces, policies);
      List<String> differences = new ArrayList<>();
      world.read(
          view -> {
            for (Pod s : pods) {
              Endpoint se = view.endpoint(interfaces.get(s.key()));
              for (Pod d : pods) {
                Endpoint de = view.endpoint(interfaces.get(d.key()));
                for (Cell probe : PROBES) {
                  Packet packet =
                      dev.weft.dataplane.Probe.packet(
                          se, de, probe.protocol(), probe.port(), 40000);
                  boolean weft = ForwardingModel.evaluate(view, packet, null).delivered();
                  boolean spec = reference.allowed(s, d, probe);
                  if (weft != spec) {
                    List<Step> steps = new ArrayList<>();
                    ForwardingModel.evaluate(view, packet, steps);
                    differences.add(
                        s.key()
                            + " -> "
                            + d.key()
                            + " "
                            + probe.port()
                            + "/"
                            + probe.protocol()
                            + ": Weft "
                            + (weft ? "allows" : "denies")
                            + ", the spec "
                            + (spec ? "allows" : "denies")
                            + "\n    "
                            + String.join("\n    ", steps.stream().map(Step::toString).toList()));
                  }
                }
              }
            }
            return null;
          });
      assertThat(differences)
          .as("seed %d\nnamespaces %s\npods %s\npolicies %s", seed, namespaces, pods, policies)
          .isEmpty();
    }
  }
}
