package dev.weft.cli;

import dev.weft.cli.ReferenceReachability.Match;
import dev.weft.cli.ReferenceReachability.Ports;
import dev.weft.cli.ReferenceReachability.Rule;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A small random cluster for the property test: namespaces (some isolated, some on a user network),
 * one to three user networks, pods (some with a network annotation), and network policies between
 * networks with random rules, attached to random networks from either side (a VirtualNetwork's
 * {@code spec.networkPolicies} or a NetworkPolicy's {@code spec.networks}, with a sequence). User
 * networks and policies live in project {@code k8s-default} or in a namespace's project.
 *
 * <p>It writes the manifests as {@code weft apply} reads them, in stages that respect what each
 * needs to exist first, and states the same cluster to a {@link ReferenceReachability}.
 *
 * <p>Port lists in rules are chosen so that a client's source port (anywhere in the dynamic range
 * 49152-65535) is either inside all of them or outside all of them, so the reference needs no
 * knowledge of which source port the probe uses.
 */
final class RandomCluster {
  static final String DOMAIN = "default-domain";
  static final String DEFAULT_PROJECT = "k8s-default";
  static final String DEFAULT_POD_NETWORK = DOMAIN + ":k8s-default:k8s-default-pod-network";

  /** The probed ports, as {@code --port} takes them, and the same as protocol and number. */
  static final List<String> PROBED = List.of("80/TCP", "8080/UDP");

  /** Any port in the dynamic range stands for the probe's source port. */
  static final int CLIENT_PORT = 50000;

  private static final List<List<Object>> PORT_LISTS =
      List.of(
          List.of(80),
          List.of(8080),
          List.of(443),
          List.of("80-90"),
          List.of("1000-9000"),
          List.of("1024-65535"),
          List.of(80, 8080),
          List.of("any"));

  /** Manifests per stage, applied in order; a probe between stages waits for convergence. */
  final List<String> namespaces = new ArrayList<>();

  final List<String> networksAndPolicies = new ArrayList<>();
  final List<String> policyLinks = new ArrayList<>();
  final List<String> pods = new ArrayList<>();

  /** The same namespaces and pods without any annotation, for the routes that change them live. */
  final List<String> plainNamespaces = new ArrayList<>();

  final List<String> plainPods = new ArrayList<>();

  /** How the test applies the cluster: see {@link Route}. */
  Route route;

  /** Orders of applying the same cluster; level-based reconciliation must end in one state. */
  enum Route {
    /** Namespaces, networks and policies, policy links, then pods: dependencies first. */
    DEPENDENCIES_FIRST,
    /** Pods before the user networks they ask for exist. */
    PODS_BEFORE_NETWORKS,
    /**
     * Namespaces and pods without annotations first (all on the default pod network), then their
     * annotations, live.
     */
    ANNOTATIONS_LATER
  }

  /** Pod key {@code ns/name} to the network the rules put it in. */
  final Map<String, String> podNetworks = new TreeMap<>();

  final ReferenceReachability reference = new ReferenceReachability();

  private final Random random;

  private RandomCluster(Random random) {
    this.random = random;
  }

  static RandomCluster generate(long seed) {
    RandomCluster c = new RandomCluster(new Random(seed));
    c.build();
    return c;
  }

  private record Namespace(String name, String isolation, String network) {
    boolean isolated() {
      return "true".equals(isolation);
    }
  }

  private void build() {
    // Projects for user networks and policies: k8s-default mostly, else a namespace's project.
    int nsCount = 1 + random.nextInt(3);
    List<String> projects = new ArrayList<>();
    for (int i = 0; i < nsCount; i++) {
      projects.add("k8s-ns-" + i);
    }
    List<String> userNetworks = new ArrayList<>();
    Map<String, String> subnets = new LinkedHashMap<>();
    int networkCount = 1 + random.nextInt(3);
    for (int i = 0; i < networkCount; i++) {
      String fq = DOMAIN + ":" + project(projects) + ":vn-" + i;
      userNetworks.add(fq);
      subnets.put(fq, "10.200." + i + ".0/24");
    }

    List<Namespace> nss = new ArrayList<>();
    for (int i = 0; i < nsCount; i++) {
      double iso = random.nextDouble();
      String isolation = iso < 0.45 ? "true" : iso < 0.6 ? "false" : null;
      String network = random.nextDouble() < 0.25 ? pick(userNetworks) : null;
      Namespace ns = new Namespace("ns-" + i, isolation, network);
      nss.add(ns);
      namespaces.add(namespaceYaml(ns));
      plainNamespaces.add(namespaceYaml(new Namespace(ns.name(), null, null)));
    }

    // Networks a policy can name or attach to: the user networks, the default pod network, and
    // the pod network of each isolated namespace.
    List<String> candidates = new ArrayList<>(userNetworks);
    candidates.add(DEFAULT_POD_NETWORK);
    for (Namespace ns : nss) {
      if (ns.isolated()) {
        candidates.add(isolatedNetwork(ns.name()));
      }
    }

    int podCount = 4 + random.nextInt(5);
    List<String> nsNames = new ArrayList<>(List.of("default"));
    nss.forEach(n -> nsNames.add(n.name()));
    for (int i = 0; i < podCount; i++) {
      String nsName = pick(nsNames);
      Namespace ns = nss.stream().filter(n -> n.name().equals(nsName)).findFirst().orElse(null);
      double a = random.nextDouble();
      String annotation = a < 0.25 ? pick(userNetworks) : a < 0.3 ? DEFAULT_POD_NETWORK : null;
      String name = "p-" + i;
      pods.add(podYaml(nsName, name, annotation));
      plainPods.add(podYaml(nsName, name, null));
      String network;
      if (annotation != null) {
        network = annotation;
      } else if (ns != null && ns.network() != null) {
        network = ns.network();
      } else if (ns != null && ns.isolated()) {
        network = isolatedNetwork(ns.name());
      } else {
        network = DEFAULT_POD_NETWORK;
      }
      podNetworks.put(nsName + "/" + name, network);
    }

    // Policies: rules, then who attaches them, from which side.
    Map<String, List<String>> networkSide = new TreeMap<>();
    userNetworks.forEach(n -> networkSide.put(n, new ArrayList<>()));
    // Mostly between networks that have pods, so that joins show in the matrix.
    List<String> used = new ArrayList<>(new TreeSet<>(podNetworks.values()));
    int policyCount = random.nextInt(4);
    List<String> policyDocs = new ArrayList<>();
    for (int i = 0; i < policyCount; i++) {
      String name = "np-" + i;
      String fq = DOMAIN + ":" + project(projects) + ":" + name;
      String a = random.nextDouble() < 0.8 ? pick(used) : pick(candidates);
      List<String> others = new ArrayList<>(used);
      others.remove(a);
      String b = random.nextDouble() < 0.8 && !others.isEmpty() ? pick(others) : pick(candidates);
      int ruleCount = 1 + random.nextInt(3);
      List<Rule> rules = new ArrayList<>();
      List<String> ruleYaml = new ArrayList<>();
      for (int r = 0; r < ruleCount; r++) {
        // Mostly rules between the policy's two networks, so that joins happen often.
        String src = r == 0 || random.nextDouble() < 0.6 ? a : null;
        String dst = r == 0 || random.nextDouble() < 0.6 ? b : null;
        if (random.nextBoolean()) {
          String t = src;
          src = dst;
          dst = t;
        }
        randomRule(r == 0, src, dst, candidates, subnets, rules, ruleYaml);
      }
      reference.policy(fq, rules);
      List<String> attachTo = new ArrayList<>();
      attachTo.add(a);
      if (!b.equals(a) && random.nextDouble() < 0.85) {
        attachTo.add(b);
      }
      if (random.nextDouble() < 0.2) {
        String extra = pick(candidates);
        if (!attachTo.contains(extra)) {
          attachTo.add(extra);
        }
      }
      boolean derived = attachTo.stream().anyMatch(n -> !userNetworks.contains(n));
      policyDocs.add(policyYaml(fq, ruleYaml, null, 0));
      if (derived || random.nextBoolean()) {
        int sequence = random.nextInt(3);
        policyLinks.add(policyYaml(fq, ruleYaml, attachTo, sequence));
        attachTo.forEach(n -> reference.attach(n, fq, sequence));
      } else {
        attachTo.forEach(n -> networkSide.get(n).add(fq));
      }
    }
    networksAndPolicies.addAll(policyDocs);
    for (String vn : userNetworks) {
      List<String> attached = networkSide.get(vn);
      Collections.shuffle(attached, random);
      for (int i = 0; i < attached.size(); i++) {
        reference.attach(vn, attached.get(i), i);
      }
      networksAndPolicies.add(networkYaml(vn, subnets.get(vn), attached));
    }
    route = Route.values()[random.nextInt(Route.values().length)];
  }

  private void randomRule(
      boolean first,
      String src,
      String dst,
      List<String> candidates,
      Map<String, String> subnets,
      List<Rule> rules,
      List<String> yaml) {
    boolean pass = random.nextDouble() < (first ? 0.85 : 0.6);
    boolean bothWays = random.nextDouble() < 0.6;
    double p = random.nextDouble();
    String protocol = p < 0.5 ? "any" : p < 0.75 ? "tcp" : p < 0.95 ? "udp" : "icmp";
    StringBuilder sb = new StringBuilder();
    sb.append("    - action: ").append(pass ? "pass" : "deny").append('\n');
    sb.append("      direction: '").append(bothWays ? "<>" : ">").append("'\n");
    sb.append("      protocol: ").append(protocol).append('\n');
    Match source = randomMatch(src, candidates, subnets);
    Match destination = randomMatch(dst, candidates, subnets);
    List<Object> sourcePorts = random.nextDouble() < 0.8 ? List.of() : pick(PORT_LISTS);
    List<Object> destinationPorts = random.nextDouble() < 0.5 ? List.of() : pick(PORT_LISTS);
    sb.append("      source: ").append(matchYaml(source)).append('\n');
    if (!sourcePorts.isEmpty()) {
      sb.append("      sourcePorts: ").append(portsYaml(sourcePorts)).append('\n');
    }
    sb.append("      destination: ").append(matchYaml(destination)).append('\n');
    if (!destinationPorts.isEmpty()) {
      sb.append("      destinationPorts: ").append(portsYaml(destinationPorts)).append('\n');
    }
    yaml.add(sb.toString());
    rules.add(
        new Rule(
            pass,
            bothWays,
            protocol,
            source,
            ports(sourcePorts),
            destination,
            ports(destinationPorts)));
  }

  private Match randomMatch(String network, List<String> candidates, Map<String, String> subnets) {
    if (network != null) {
      return Match.network(network);
    }
    double m = random.nextDouble();
    if (m < 0.4) {
      return Match.ANY;
    }
    if (m < 0.7) {
      List<String> cidrs = new ArrayList<>(subnets.values());
      cidrs.add("10.32.0.0/12");
      return Match.subnet(pick(cidrs));
    }
    return Match.network(pick(candidates));
  }

  private static String matchYaml(Match m) {
    if (m.network() != null) {
      return "{network: \"" + m.network() + "\"}";
    }
    if (m.subnet() != null) {
      return "{subnet: " + m.subnet() + "}";
    }
    return "any";
  }

  private static String portsYaml(List<Object> ports) {
    List<String> items = new ArrayList<>();
    for (Object p : ports) {
      items.add(p instanceof String s ? "\"" + s + "\"" : p.toString());
    }
    return "[" + String.join(", ", items) + "]";
  }

  private static List<Ports> ports(List<Object> raw) {
    List<Ports> out = new ArrayList<>();
    for (Object p : raw) {
      if (p instanceof Integer i) {
        out.add(new Ports(i, i));
      } else if (p.equals("any")) {
        out.add(Ports.ANY);
      } else {
        String[] lh = ((String) p).split("-");
        out.add(new Ports(Integer.parseInt(lh[0]), Integer.parseInt(lh[1])));
      }
    }
    return out;
  }

  /** k8s-default two times in three, else the project of a random namespace. */
  private String project(List<String> namespaceProjects) {
    return random.nextInt(3) < 2 ? DEFAULT_PROJECT : pick(namespaceProjects);
  }

  private <T> T pick(List<T> from) {
    return from.get(random.nextInt(from.size()));
  }

  static String isolatedNetwork(String namespace) {
    return DOMAIN + ":k8s-" + namespace + ":k8s-" + namespace + "-pod-network";
  }

  private static String annotationValue(String fq) {
    String[] p = fq.split(":");
    return "'{\"domain\": \""
        + p[0]
        + "\", \"project\": \""
        + p[1]
        + "\", \"name\": \""
        + p[2]
        + "\"}'";
  }

  private static String namespaceYaml(Namespace ns) {
    StringBuilder sb =
        new StringBuilder("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + ns.name());
    sb.append('\n');
    if (ns.isolation() != null || ns.network() != null) {
      sb.append("  annotations:\n");
      if (ns.isolation() != null) {
        sb.append("    opencontrail.org/isolation: \"").append(ns.isolation()).append("\"\n");
      }
      if (ns.network() != null) {
        sb.append("    opencontrail.org/network: ")
            .append(annotationValue(ns.network()))
            .append('\n');
      }
    }
    return sb.toString();
  }

  private static String podYaml(String namespace, String name, String network) {
    StringBuilder sb = new StringBuilder("apiVersion: v1\nkind: Pod\nmetadata:\n");
    sb.append("  name: ").append(name).append("\n  namespace: ").append(namespace).append('\n');
    if (network != null) {
      sb.append("  annotations:\n    opencontrail.org/network: ")
          .append(annotationValue(network))
          .append('\n');
    }
    sb.append("spec:\n  containers:\n    - name: app\n      image: nginx\n");
    return sb.toString();
  }

  private static String networkYaml(String fq, String subnet, List<String> policies) {
    StringBuilder sb = new StringBuilder("apiVersion: weft/v1\nkind: VirtualNetwork\nmetadata:\n");
    sb.append("  name: ").append(fq.split(":")[2]).append("\n  project: ").append(fq.split(":")[1]);
    sb.append("\nspec:\n  subnets:\n    - ").append(subnet).append('\n');
    if (!policies.isEmpty()) {
      sb.append("  networkPolicies:\n");
      policies.forEach(p -> sb.append("    - ").append(p).append('\n'));
    }
    return sb.toString();
  }

  private static String policyYaml(
      String fq, List<String> rules, List<String> networks, int sequence) {
    StringBuilder sb = new StringBuilder("apiVersion: weft/v1\nkind: NetworkPolicy\nmetadata:\n");
    sb.append("  name: ").append(fq.split(":")[2]).append("\n  project: ").append(fq.split(":")[1]);
    sb.append("\nspec:\n  rules:\n");
    rules.forEach(sb::append);
    if (networks != null) {
      sb.append("  networks:\n");
      networks.forEach(n -> sb.append("    - ").append(n).append('\n'));
      sb.append("  sequence: ").append(sequence).append('\n');
    }
    return sb.toString();
  }

  /** Every manifest, stage by stage, for a failure message. */
  String describe() {
    StringBuilder sb = new StringBuilder("# applied in the order " + route + "\n");
    stage(sb, "namespaces", namespaces);
    stage(sb, "networks and policies", networksAndPolicies);
    stage(sb, "policy links (spec.networks)", policyLinks);
    stage(sb, "pods", pods);
    sb.append("# networks the rules put the pods in:\n");
    podNetworks.forEach(
        (k, v) -> sb.append("#   ").append(k).append(" -> ").append(v).append('\n'));
    return sb.toString();
  }

  private static void stage(StringBuilder sb, String name, List<String> docs) {
    sb.append("# ---- ").append(name).append('\n');
    sb.append(String.join("---\n", docs));
  }
}
