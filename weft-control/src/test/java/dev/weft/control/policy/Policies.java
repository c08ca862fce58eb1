package dev.weft.control.policy;

import dev.weft.model.ContainerPort;
import dev.weft.model.FirewallPeer;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.FirewallPort;
import dev.weft.model.FirewallRule;
import dev.weft.model.FqName;
import dev.weft.model.IpBlock;
import dev.weft.model.IpPrefix;
import dev.weft.model.LabelRequirement;
import dev.weft.model.LabelSelector;
import dev.weft.model.Owner;
import dev.weft.model.Protocol;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Terse builders for firewall policies as the kube-manager translates NetworkPolicies, for tests
 * and benchmarks: {@code policy("x", "allow-a",
 * sel("pod=b")).ingress(rule(peers(pods(sel("pod=a"))), ports(tcp(80))))}.
 */
public final class Policies {
  private Policies() {}

  public static UUID uuid(String kind, String name) {
    return UUID.nameUUIDFromBytes((kind + "/" + name).getBytes(StandardCharsets.UTF_8));
  }

  /** {@code "k=v,k2=v2"} as labels; "" for none. */
  public static Map<String, String> labels(String text) {
    Map<String, String> out = new LinkedHashMap<>();
    if (text.isEmpty()) {
      return out;
    }
    for (String kv : text.split(",")) {
      int eq = kv.indexOf('=');
      out.put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    return out;
  }

  /** A selector of {@code matchLabels} {@code "k=v,..."} ("" for {}) and expressions. */
  public static LabelSelector sel(String matchLabels, LabelRequirement... expressions) {
    return new LabelSelector(labels(matchLabels), Arrays.asList(expressions));
  }

  public static LabelRequirement in(String key, String... values) {
    return new LabelRequirement(key, LabelRequirement.Operator.IN, List.of(values));
  }

  public static LabelRequirement notIn(String key, String... values) {
    return new LabelRequirement(key, LabelRequirement.Operator.NOT_IN, List.of(values));
  }

  public static LabelRequirement exists(String key) {
    return new LabelRequirement(key, LabelRequirement.Operator.EXISTS, List.of());
  }

  public static LabelRequirement doesNotExist(String key) {
    return new LabelRequirement(key, LabelRequirement.Operator.DOES_NOT_EXIST, List.of());
  }

  /** A peer of pods of the policy's namespace. */
  public static FirewallPeer pods(LabelSelector podSelector) {
    return FirewallPeer.pods(podSelector, null);
  }

  /** A peer of every pod of the namespaces {@code namespaceSelector} selects. */
  public static FirewallPeer namespaces(LabelSelector namespaceSelector) {
    return FirewallPeer.pods(null, namespaceSelector);
  }

  /** A peer of the pods {@code podSelector} selects in the namespaces selected. */
  public static FirewallPeer podsIn(LabelSelector namespaceSelector, LabelSelector podSelector) {
    return FirewallPeer.pods(podSelector, namespaceSelector);
  }

  public static FirewallPeer block(String cidr, String... except) {
    return FirewallPeer.addresses(
        new IpBlock(IpPrefix.parse(cidr), Arrays.stream(except).map(IpPrefix::parse).toList()));
  }

  public static FirewallPort tcp(int port) {
    return new FirewallPort(Protocol.TCP, port, null, null);
  }

  public static FirewallPort udp(int port) {
    return new FirewallPort(Protocol.UDP, port, null, null);
  }

  public static FirewallPort port(Protocol protocol, int port, int endPort) {
    return new FirewallPort(protocol, port, null, endPort);
  }

  /** Every port of {@code protocol}. */
  public static FirewallPort all(Protocol protocol) {
    return new FirewallPort(protocol, null, null, null);
  }

  public static FirewallPort named(Protocol protocol, String name) {
    return new FirewallPort(protocol, null, name, null);
  }

  public static ContainerPort declared(String name, Protocol protocol, int port) {
    return new ContainerPort(name, protocol, port);
  }

  public static List<FirewallPeer> peers(FirewallPeer... peers) {
    return Arrays.asList(peers);
  }

  public static List<FirewallPort> ports(FirewallPort... ports) {
    return Arrays.asList(ports);
  }

  public static FirewallRule rule(List<FirewallPeer> peers, List<FirewallPort> ports) {
    return new FirewallRule(peers, ports);
  }

  /** A rule of these peers on every port. */
  public static FirewallRule from(FirewallPeer... peers) {
    return new FirewallRule(Arrays.asList(peers), List.of());
  }

  /** A rule of any peer on these ports. */
  public static FirewallRule on(FirewallPort... ports) {
    return new FirewallRule(List.of(), Arrays.asList(ports));
  }

  /** A NetworkPolicy {@code ns/name} being built; governs nothing until given a direction. */
  public static Builder policy(String ns, String name, LabelSelector podSelector) {
    return new Builder(ns, name, podSelector);
  }

  /** A policy under construction; each call returns a new one. */
  public static final class Builder {
    private final String ns;
    private final String name;
    private final LabelSelector podSelector;
    private boolean ingress;
    private boolean egress;
    private final List<FirewallRule> ingressRules = new ArrayList<>();
    private final List<FirewallRule> egressRules = new ArrayList<>();

    Builder(String ns, String name, LabelSelector podSelector) {
      this.ns = ns;
      this.name = name;
      this.podSelector = podSelector;
    }

    /** Governs ingress, allowing what {@code rules} allow (none: nothing). */
    public Builder ingress(FirewallRule... rules) {
      ingress = true;
      ingressRules.addAll(Arrays.asList(rules));
      return this;
    }

    /** Governs egress, allowing what {@code rules} allow (none: nothing). */
    public Builder egress(FirewallRule... rules) {
      egress = true;
      egressRules.addAll(Arrays.asList(rules));
      return this;
    }

    public FirewallPolicy build() {
      return new FirewallPolicy(
          uuid("firewall-policy", ns + "/" + name),
          FqName.of("default-domain", "k8s-" + ns, name),
          null,
          new Owner("k8s", "NetworkPolicy", ns, name, "").annotations(),
          ns,
          podSelector,
          ingress,
          egress,
          ingressRules,
          egressRules);
    }
  }
}
