package dev.weft.kube.translate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.kube.ClusterConfig;
import dev.weft.kube.translate.NetworkPolicyInfo.Expression;
import dev.weft.kube.translate.NetworkPolicyInfo.IpBlock;
import dev.weft.kube.translate.NetworkPolicyInfo.Peer;
import dev.weft.kube.translate.NetworkPolicyInfo.Port;
import dev.weft.kube.translate.NetworkPolicyInfo.Rule;
import dev.weft.kube.translate.NetworkPolicyInfo.Selector;
import dev.weft.model.ContainerPort;
import dev.weft.model.FirewallPeer;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.FirewallPort;
import dev.weft.model.FirewallRule;
import dev.weft.model.IpPrefix;
import dev.weft.model.LabelSelector;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * NetworkPolicy to firewall policy, point by point against the {@code networking.k8s.io/v1} spec.
 */
class NetworkPolicyObjectsTest {
  private static final ClusterConfig CONFIG = ClusterConfig.defaults();
  private static final String UID = "4f1c7a52-0d1e-4c3b-9a55-0123456789ab";
  private static final Ref PROJECT =
      new Ref(ObjectType.PROJECT, UUID.randomUUID(), dev.weft.model.Names.projectFq("k8s", "dev"));

  // --- building NetworkPolicies as written ------------------------------------------------------

  private static NetworkPolicyInfo policy(
      Selector podSelector, List<String> types, List<Rule> ingress, List<Rule> egress) {
    return new NetworkPolicyInfo("dev", "web", UID, podSelector, types, ingress, egress);
  }

  private static Selector labels(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return new Selector(m, List.of());
  }

  private static Selector expressions(Expression... e) {
    return new Selector(Map.of(), List.of(e));
  }

  private static Expression expr(String key, String op, String... values) {
    return new Expression(key, op, List.of(values));
  }

  private static final Selector ALL = new Selector(Map.of(), List.of());

  private static Peer pods(Selector pods) {
    return new Peer(pods, null, null);
  }

  private static Peer namespaces(Selector namespaces) {
    return new Peer(null, namespaces, null);
  }

  private static Peer block(String cidr, String... except) {
    return new Peer(null, null, new IpBlock(cidr, List.of(except)));
  }

  private static Rule rule(List<Peer> peers, Port... ports) {
    return new Rule(peers, List.of(ports));
  }

  private static Port tcp(int port) {
    return new Port("TCP", port, null, null);
  }

  private static NetworkPolicyObjects.Translation translate(NetworkPolicyInfo np) {
    return NetworkPolicyObjects.desired(CONFIG, np, PROJECT);
  }

  private static FirewallPolicy fp(NetworkPolicyInfo np) {
    return translate(np).policy();
  }

  private static String refusal(NetworkPolicyInfo np) {
    try {
      translate(np);
    } catch (InputException e) {
      assertThat(e.reason()).isEqualTo(NetworkPolicyObjects.INVALID);
      assertThat(e.transientWait()).isFalse();
      return e.getMessage();
    }
    throw new AssertionError("expected " + np + " to be refused");
  }

  // --- identity ---------------------------------------------------------------------------------

  @Test
  void firewallPolicyIsNamedAfterTheNetworkPolicyAndOwnedByItsKey() {
    FirewallPolicy p = fp(policy(ALL, List.of(), List.of(), List.of()));
    assertThat(p.uuid()).isEqualTo(UUID.fromString(UID));
    assertThat(p.fqName().toString()).isEqualTo("default-domain:k8s-dev:k8s__dev__web");
    assertThat(p.parent()).isEqualTo(PROJECT);
    assertThat(p.namespace()).isEqualTo("dev");
    Owner owner = Owner.from(p.annotations()).orElseThrow();
    assertThat(owner.key()).isEqualTo("NetworkPolicy/dev/web");
    assertThat(owner.key()).isEqualTo(NetworkPolicyObjects.key("dev", "web"));
    assertThat(owner.k8sUid()).isEqualTo(UID);
  }

  @Test
  void translationIsAPureFunctionOfThePolicy() {
    NetworkPolicyInfo np =
        policy(
            labels("app", "web"),
            List.of(),
            List.of(rule(List.of(pods(labels("role", "fe"))), tcp(80))),
            List.of(rule(List.of(block("10.0.0.0/8", "10.1.0.0/16")))));
    assertThat(translate(np)).isEqualTo(translate(np));
  }

  // --- policyTypes ------------------------------------------------------------------------------

  @Nested
  class PolicyTypes {
    @Test
    void absentWithoutEgressRulesGovernsIngressOnly() {
      FirewallPolicy p = fp(policy(ALL, List.of(), List.of(), List.of()));
      assertThat(p.ingress()).isTrue();
      assertThat(p.egress()).isFalse();
    }

    @Test
    void absentWithEgressRulesGovernsBothDirections() {
      FirewallPolicy p = fp(policy(ALL, List.of(), List.of(), List.of(rule(List.of()))));
      assertThat(p.ingress()).isTrue();
      assertThat(p.egress()).isTrue();
      assertThat(p.egressRules()).hasSize(1);
    }

    @Test
    void absentWithAnEmptyEgressListGovernsIngressOnlyAsKubernetesDefaults() {
      // SetDefaults_NetworkPolicySpec adds Egress only when len(spec.egress) != 0; `egress: []`
      // and no egress field are the same thing.
      FirewallPolicy p = fp(policy(ALL, null, List.of(), new ArrayList<>()));
      assertThat(p.ingress()).isTrue();
      assertThat(p.egress()).isFalse();
    }

    @Test
    void absentWithIngressRulesOnlyDoesNotGovernEgress() {
      FirewallPolicy p = fp(policy(ALL, List.of(), List.of(rule(List.of(pods(ALL)))), List.of()));
      assertThat(p.ingress()).isTrue();
      assertThat(p.egress()).isFalse();
    }

    @Test
    void egressOnlyLeavesIngressUnrestricted() {
      FirewallPolicy p = fp(policy(ALL, List.of("Egress"), List.of(), List.of()));
      assertThat(p.ingress()).isFalse();
      assertThat(p.egress()).isTrue();
      assertThat(p.egressRules()).isEmpty();
    }

    @Test
    void bothGivenGovernsBoth() {
      FirewallPolicy p = fp(policy(ALL, List.of("Ingress", "Egress"), List.of(), List.of()));
      assertThat(p.ingress()).isTrue();
      assertThat(p.egress()).isTrue();
    }

    @Test
    void rulesOfADirectionThePolicyTypesLeaveOutHaveNoEffectAndAreWarnedAbout() {
      NetworkPolicyObjects.Translation t =
          translate(
              policy(
                  ALL,
                  List.of("Ingress"),
                  List.of(rule(List.of())),
                  List.of(rule(List.of()), rule(List.of()))));
      assertThat(t.policy().egress()).isFalse();
      assertThat(t.policy().egressRules()).isEmpty();
      assertThat(t.policy().ingressRules()).hasSize(1);
      assertThat(t.warnings())
          .singleElement()
          .satisfies(
              w -> {
                assertThat(w.reason()).isEqualTo(NetworkPolicyObjects.RULES_IGNORED);
                assertThat(w.message())
                    .startsWith("networkpolicy \"dev/web\": spec.egress has 2 rules")
                    .contains("does not include Egress");
              });
    }

    @Test
    void anUnknownPolicyTypeIsRefused() {
      assertThat(refusal(policy(ALL, List.of("ingress"), List.of(), List.of())))
          .contains(
              "spec.policyTypes[0]: unsupported value \"ingress\": supported values: \"Ingress\","
                  + " \"Egress\"");
    }
  }

  // --- rules ------------------------------------------------------------------------------------

  @Nested
  class Rules {
    @Test
    void anEmptyRuleAllowsEveryPeerOnEveryPort() {
      // ingress: [{}]
      FirewallPolicy p = fp(policy(ALL, List.of(), List.of(rule(List.of())), List.of()));
      assertThat(p.ingressRules()).containsExactly(new FirewallRule(List.of(), List.of()));
    }

    @Test
    void noRulesWithIngressGovernedAllowsNothing() {
      // ingress: [] or no ingress at all, with Ingress governed: deny all ingress.
      FirewallPolicy p = fp(policy(ALL, List.of("Ingress"), List.of(), List.of()));
      assertThat(p.ingress()).isTrue();
      assertThat(p.ingressRules()).isEmpty();
    }

    @Test
    void aNullRuleEntryIsAnEmptyRuleAsGoDecodesIt() {
      List<Rule> rules = new ArrayList<>();
      rules.add(null);
      FirewallPolicy p = fp(policy(ALL, List.of(), rules, List.of()));
      assertThat(p.ingressRules()).containsExactly(new FirewallRule(List.of(), List.of()));
    }

    @Test
    void rulesKeepTheirOrder() {
      FirewallPolicy p =
          fp(
              policy(
                  ALL,
                  List.of(),
                  List.of(rule(List.of(), tcp(80)), rule(List.of(), tcp(81)), rule(List.of())),
                  List.of()));
      assertThat(p.ingressRules())
          .extracting(r -> r.ports().isEmpty() ? "all" : r.ports().get(0).toString())
          .containsExactly("80/TCP", "81/TCP", "all");
    }

    @Test
    void podAndNamespaceSelectorsInOnePeerMustBothHold() {
      FirewallPolicy p =
          fp(
              policy(
                  ALL,
                  List.of(),
                  List.of(rule(List.of(new Peer(labels("app", "db"), labels("team", "a"), null)))),
                  List.of()));
      FirewallPeer peer = p.ingressRules().get(0).peers().get(0);
      assertThat(p.ingressRules().get(0).peers()).hasSize(1);
      assertThat(peer.podSelector().matchLabels()).isEqualTo(Map.of("app", "db"));
      assertThat(peer.namespaceSelector().matchLabels()).isEqualTo(Map.of("team", "a"));
    }

    @Test
    void separatePeersAreAlternatives() {
      FirewallPolicy p =
          fp(
              policy(
                  ALL,
                  List.of(),
                  List.of(
                      rule(List.of(pods(labels("app", "db")), namespaces(labels("team", "a"))))),
                  List.of()));
      List<FirewallPeer> peers = p.ingressRules().get(0).peers();
      assertThat(peers).hasSize(2);
      assertThat(peers.get(0).namespaceSelector()).isNull();
      assertThat(peers.get(0).podSelector().matchLabels()).isEqualTo(Map.of("app", "db"));
      assertThat(peers.get(1).podSelector()).isNull();
      assertThat(peers.get(1).namespaceSelector().matchLabels()).isEqualTo(Map.of("team", "a"));
    }

    @Test
    void anEmptyNamespaceSelectorIsEveryNamespaceAndAnAbsentOneIsThePolicysOwn() {
      FirewallPolicy p =
          fp(
              policy(
                  ALL,
                  List.of(),
                  List.of(rule(List.of(new Peer(ALL, ALL, null), pods(ALL)))),
                  List.of()));
      List<FirewallPeer> peers = p.ingressRules().get(0).peers();
      assertThat(peers.get(0).namespaceSelector()).isEqualTo(LabelSelector.ALL);
      assertThat(peers.get(0).podSelector()).isEqualTo(LabelSelector.ALL);
      assertThat(peers.get(1).namespaceSelector()).isNull();
      assertThat(peers.get(1).podSelector()).isEqualTo(LabelSelector.ALL);
    }

    @Test
    void anAbsentPodSelectorSelectsEveryPodOfTheNamespace() {
      assertThat(fp(policy(null, List.of(), List.of(), List.of())).podSelector())
          .isEqualTo(LabelSelector.ALL);
    }

    @Test
    void aPeerWithNothingIsRefused() {
      assertThat(
              refusal(
                  policy(
                      ALL,
                      List.of(),
                      List.of(rule(List.of(new Peer(null, null, null)))),
                      List.of())))
          .contains("spec.ingress[0].from[0]: must specify a peer");
    }

    @Test
    void aPeerWithAnIpBlockAndASelectorIsRefused() {
      assertThat(
              refusal(
                  policy(
                      ALL,
                      List.of(),
                      List.of(),
                      List.of(
                          rule(
                              List.of(
                                  new Peer(ALL, null, new IpBlock("10.0.0.0/8", List.of()))))))))
          .contains("spec.egress[0].to[0]: may not specify both ipBlock and");
    }
  }

  // --- selectors --------------------------------------------------------------------------------

  @Nested
  class Selectors {
    private LabelSelector podSelector(Selector s) {
      return fp(policy(s, List.of(), List.of(), List.of())).podSelector();
    }

    @Test
    void matchLabelsAndEveryOperatorAreKept() {
      LabelSelector s =
          podSelector(
              new Selector(
                  Map.of("app", "web"),
                  List.of(
                      expr("tier", "In", "fe", "be"),
                      expr("env", "NotIn", "prod"),
                      expr("team", "Exists"),
                      expr("legacy", "DoesNotExist"))));
      assertThat(s.matches(Map.of("app", "web", "tier", "be", "team", "x"))).isTrue();
      assertThat(s.matches(Map.of("app", "web", "tier", "fe", "team", "x", "env", "dev"))).isTrue();
      assertThat(s.matches(Map.of("app", "web", "tier", "fe", "team", "x", "env", "prod")))
          .as("NotIn excludes the listed value")
          .isFalse();
      assertThat(s.matches(Map.of("app", "web", "tier", "qa", "team", "x"))).isFalse();
      assertThat(s.matches(Map.of("app", "web", "tier", "fe"))).as("Exists").isFalse();
      assertThat(s.matches(Map.of("app", "web", "tier", "fe", "team", "x", "legacy", "")))
          .as("DoesNotExist holds only without the key, even for an empty value")
          .isFalse();
      assertThat(s.matches(Map.of("tier", "fe", "team", "x"))).as("matchLabels").isFalse();
    }

    @Test
    void notInMatchesAPodWithoutTheKey() {
      LabelSelector s = podSelector(expressions(expr("env", "NotIn", "prod")));
      assertThat(s.matches(Map.of())).isTrue();
    }

    @Test
    void inKeepsEveryValue() {
      LabelSelector s = podSelector(expressions(expr("tier", "In", "a", "b", "c")));
      assertThat(s.matches(Map.of("tier", "a"))).isTrue();
      assertThat(s.matches(Map.of("tier", "c"))).isTrue();
    }

    @Test
    void anUnknownOperatorIsRefused() {
      assertThat(refusal(policy(expressions(expr("a", "Equals", "x")), null, null, null)))
          .startsWith(
              "networkpolicy \"dev/web\" is refused (an earlier version, if any, stays in effect): ")
          .contains(
              "spec.podSelector.matchExpressions[0].operator: unsupported value \"Equals\":"
                  + " supported values: \"In\", \"NotIn\", \"Exists\", \"DoesNotExist\"");
    }

    @Test
    void operatorsAreCaseSensitiveAsInKubernetes() {
      assertThat(refusal(policy(expressions(expr("a", "in", "x")), null, null, null)))
          .contains("unsupported value \"in\"");
    }

    @Test
    void inWithoutValuesAndExistsWithValuesAreRefused() {
      String message =
          refusal(
              policy(
                  ALL,
                  null,
                  List.of(
                      rule(
                          List.of(
                              new Peer(
                                  expressions(expr("a", "In")),
                                  expressions(expr("b", "Exists", "x")),
                                  null)))),
                  null));
      assertThat(message)
          .contains("spec.ingress[0].from[0].podSelector.matchExpressions[0].values: must be")
          .contains(
              "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values: may not be")
          .endsWith("(2 problems)");
    }

    @Test
    void malformedLabelKeysAndValuesAreRefused() {
      assertThat(refusal(policy(labels("bad key", "x"), null, null, null)))
          .contains("\"bad key\" is not a valid label key");
      assertThat(refusal(policy(labels("app", "-x"), null, null, null)))
          .contains("\"-x\" is not a valid label value");
      assertThat(fp(policy(labels("example.com/app", "a.b_c-1", "x", ""), null, null, null)))
          .isNotNull();
    }
  }

  // --- ipBlock ----------------------------------------------------------------------------------

  @Nested
  class IpBlocks {
    private dev.weft.model.IpBlock translated(Peer peer) {
      return translate(policy(ALL, null, List.of(rule(List.of(peer))), null))
          .policy()
          .ingressRules()
          .get(0)
          .peers()
          .get(0)
          .ipBlock();
    }

    @Test
    void anIpBlockExcludesItsExcepts() {
      dev.weft.model.IpBlock b = translated(block("10.0.0.0/8", "10.1.0.0/16", "10.2.3.0/24"));
      assertThat(b.cidr()).isEqualTo(IpPrefix.parse("10.0.0.0/8"));
      assertThat(b.except())
          .containsExactly(IpPrefix.parse("10.1.0.0/16"), IpPrefix.parse("10.2.3.0/24"));
      assertThat(b.contains("10.9.9.9")).isTrue();
      assertThat(b.contains("10.1.2.3")).isFalse();
      assertThat(b.contains("11.0.0.1")).isFalse();
    }

    @Test
    void aCidrWithHostBitsMeansItsNetworkAsTheApiServerReadsIt() {
      assertThat(translated(block("192.168.1.17/24")).cidr())
          .isEqualTo(IpPrefix.parse("192.168.1.0/24"));
      assertThat(translated(block("fd00::1/64")).cidr()).isEqualTo(IpPrefix.parse("fd00::/64"));
    }

    @Test
    void anExceptOutsideTheCidrExcludesNothingAndIsWarnedAbout() {
      NetworkPolicyObjects.Translation t =
          translate(
              policy(
                  ALL,
                  null,
                  List.of(rule(List.of(block("10.0.0.0/16", "192.168.0.0/24", "10.0.1.0/24")))),
                  null));
      dev.weft.model.IpBlock b = t.policy().ingressRules().get(0).peers().get(0).ipBlock();
      assertThat(b.except()).containsExactly(IpPrefix.parse("10.0.1.0/24"));
      assertThat(t.warnings())
          .singleElement()
          .satisfies(
              w -> {
                assertThat(w.reason()).isEqualTo(NetworkPolicyObjects.EXCEPT_OUTSIDE_CIDR);
                assertThat(w.message())
                    .isEqualTo(
                        "networkpolicy \"dev/web\": spec.ingress[0].from[0].ipBlock.except[0]:"
                            + " 192.168.0.0/24 is not inside cidr 10.0.0.0/16, so it excludes"
                            + " nothing (the API server requires an except to be a strict subset"
                            + " of cidr)");
              });
    }

    @Test
    void anExceptOfTheOtherFamilyExcludesNothing() {
      NetworkPolicyObjects.Translation t =
          translate(
              policy(ALL, null, List.of(rule(List.of(block("10.0.0.0/8", "fd00::/8")))), null));
      assertThat(t.policy().ingressRules().get(0).peers().get(0).ipBlock().except()).isEmpty();
      assertThat(t.warnings()).hasSize(1);
    }

    @Test
    void anExceptCoveringTheCidrLeavesNoAddressAndIsWarnedAbout() {
      NetworkPolicyObjects.Translation t =
          translate(
              policy(ALL, null, List.of(rule(List.of(block("10.1.0.0/16", "10.0.0.0/8")))), null));
      dev.weft.model.IpBlock b = t.policy().ingressRules().get(0).peers().get(0).ipBlock();
      assertThat(b.contains("10.1.0.1")).isFalse();
      assertThat(b.except()).containsExactly(IpPrefix.parse("10.1.0.0/16"));
      assertThat(t.warnings().get(0).message()).contains("covers all of cidr 10.1.0.0/16");
    }

    @Test
    void malformedCidrsAreRefused() {
      for (String bad : List.of("10.0.0.0/33", "10.0.0.0", "10.0.0/8", "*.0.0.0/8", "x/8", "")) {
        assertThat(refusal(policy(ALL, null, List.of(rule(List.of(block(bad)))), null)))
            .as(bad)
            .contains("spec.ingress[0].from[0].ipBlock.cidr: ");
      }
      assertThat(
              refusal(
                  policy(ALL, null, List.of(rule(List.of(block("10.0.0.0/8", "10.1/16")))), null)))
          .contains("spec.ingress[0].from[0].ipBlock.except[0]: \"10.1/16\" is not a CIDR");
    }
  }

  // --- ports ------------------------------------------------------------------------------------

  @Nested
  class Ports {
    private List<FirewallPort> ports(Port... ports) {
      return fp(policy(ALL, null, List.of(rule(List.of(), ports)), null))
          .ingressRules()
          .get(0)
          .ports();
    }

    private String refused(Port... ports) {
      return refusal(policy(ALL, null, List.of(rule(List.of(), ports)), null));
    }

    @Test
    void theProtocolDefaultsToTcp() {
      assertThat(ports(new Port(null, 80, null, null)))
          .containsExactly(new FirewallPort(Protocol.TCP, 80, null, null));
    }

    @Test
    void udpAndSctpAreKept() {
      assertThat(ports(new Port("UDP", 53, null, null), new Port("SCTP", 9, null, null)))
          .containsExactly(
              new FirewallPort(Protocol.UDP, 53, null, null),
              new FirewallPort(Protocol.SCTP, 9, null, null));
    }

    @Test
    void aProtocolWithoutAPortIsEveryPortOfThatProtocol() {
      FirewallPort p = ports(new Port("UDP", null, null, null)).get(0);
      assertThat(p.matches(Protocol.UDP, 12345, List.of())).isTrue();
      assertThat(p.matches(Protocol.TCP, 12345, List.of())).isFalse();
    }

    @Test
    void aRuleWithoutPortsAllowsEveryPort() {
      assertThat(ports()).isEmpty();
    }

    @Test
    void endPortMakesARange() {
      FirewallPort p = ports(new Port("TCP", 32000, null, 32768)).get(0);
      assertThat(p).isEqualTo(new FirewallPort(Protocol.TCP, 32000, null, 32768));
      assertThat(p.matches(Protocol.TCP, 32768, List.of())).isTrue();
      assertThat(p.matches(Protocol.TCP, 32769, List.of())).isFalse();
    }

    @Test
    void aNamedPortResolvesOnTheDestinationsDeclaredPorts() {
      FirewallPort p = ports(new Port(null, null, "serve-80-tcp", null)).get(0);
      assertThat(p).isEqualTo(new FirewallPort(Protocol.TCP, null, "serve-80-tcp", null));
      List<ContainerPort> declared = List.of(new ContainerPort("serve-80-tcp", Protocol.TCP, 80));
      assertThat(p.matches(Protocol.TCP, 80, declared)).isTrue();
      assertThat(p.matches(Protocol.TCP, 81, declared)).isFalse();
      assertThat(p.matches(Protocol.TCP, 80, List.of())).isFalse();
    }

    @Test
    void aNamedPortWithEndPortIsRefused() {
      assertThat(refused(new Port("TCP", null, "http", 90)))
          .contains(
              "spec.ingress[0].ports[0].endPort: 90 may not be specified when port is a name");
    }

    @Test
    void endPortWithoutPortOrBelowItIsRefused() {
      assertThat(refused(new Port("TCP", null, null, 90)))
          .contains("endPort: 90 may not be specified when port is not specified");
      assertThat(refused(new Port("TCP", 100, null, 90)))
          .contains("endPort: 90 must be greater than or equal to port 100");
    }

    @Test
    void portsOutsideTheRangeAreRefused() {
      assertThat(refused(new Port("TCP", 0, null, null)))
          .contains("spec.ingress[0].ports[0].port: 0 must be between 1 and 65535");
      assertThat(refused(new Port("TCP", 80, null, 70000)))
          .contains("endPort: 70000 must be between 1 and 65535");
    }

    @Test
    void anUnknownOrLowerCaseProtocolIsRefused() {
      assertThat(refused(new Port("tcp", 80, null, null)))
          .contains(
              "spec.ingress[0].ports[0].protocol: unsupported value \"tcp\": supported values:"
                  + " \"TCP\", \"UDP\", \"SCTP\"");
      assertThat(refused(new Port("ICMP", null, null, null))).contains("\"ICMP\"");
    }

    @Test
    void anInvalidPortNameIsRefused() {
      assertThat(refused(new Port(null, null, "80", null)))
          .contains("\"80\" is not a valid port name: must contain at least one letter");
      assertThat(refused(new Port(null, null, "Web", null))).contains("lower-case");
      assertThat(refused(new Port(null, null, "a-very-long-port-name", null)))
          .contains("no more than 15");
    }

    @Test
    void everyProblemIsListedInOneMessage() {
      String message = refused(new Port("tcp", 0, null, null), new Port(null, null, "x", 9));
      assertThat(message)
          .contains("ports[0].protocol")
          .contains("ports[0].port")
          .contains("ports[1].endPort")
          .endsWith("(3 problems)");
    }
  }

  // --- named ports ------------------------------------------------------------------------------

  @Test
  void namedPortsKnowWhereTheirDestinationPodsLive() {
    Port http = new Port(null, null, "http", null);
    FirewallPolicy p =
        fp(
            policy(
                ALL,
                null,
                List.of(rule(List.of(namespaces(ALL)), http)),
                List.of(
                    rule(List.of(pods(labels("app", "db"))), http),
                    rule(
                        List.of(namespaces(labels("team", "a")), namespaces(labels("team", "b"))),
                        http),
                    rule(List.of(), http),
                    rule(List.of(block("10.0.0.0/8")), http),
                    rule(List.of(new Peer(null, ALL, null)), tcp(80)))));
    List<NetworkPolicyObjects.NamedPortUse> uses = NetworkPolicyObjects.namedPorts(p);
    assertThat(uses)
        .extracting(u -> u.path() + " " + u.scope("dev"))
        .containsExactly(
            "spec.ingress[0].ports[0] namespace \"dev\"",
            "spec.egress[0].ports[0] namespace \"dev\"",
            "spec.egress[1].ports[0] a namespace matching team=a or a namespace matching team=b",
            "spec.egress[2].ports[0] any namespace",
            "spec.egress[3].ports[0] any namespace");
    assertThat(
            NetworkPolicyObjects.undeclared(policy(ALL, null, null, null), uses.get(0)).message())
        .isEqualTo(
            "networkpolicy \"dev/web\": spec.ingress[0].ports[0]: no pod in namespace \"dev\""
                + " declares a TCP container port named \"http\", so this port matches nothing"
                + " until one does");
  }
}
