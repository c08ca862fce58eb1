package dev.weft.control.policy;

import static dev.weft.control.policy.Policies.all;
import static dev.weft.control.policy.Policies.block;
import static dev.weft.control.policy.Policies.declared;
import static dev.weft.control.policy.Policies.doesNotExist;
import static dev.weft.control.policy.Policies.exists;
import static dev.weft.control.policy.Policies.from;
import static dev.weft.control.policy.Policies.in;
import static dev.weft.control.policy.Policies.labels;
import static dev.weft.control.policy.Policies.named;
import static dev.weft.control.policy.Policies.namespaces;
import static dev.weft.control.policy.Policies.notIn;
import static dev.weft.control.policy.Policies.on;
import static dev.weft.control.policy.Policies.peers;
import static dev.weft.control.policy.Policies.pods;
import static dev.weft.control.policy.Policies.podsIn;
import static dev.weft.control.policy.Policies.policy;
import static dev.weft.control.policy.Policies.port;
import static dev.weft.control.policy.Policies.ports;
import static dev.weft.control.policy.Policies.rule;
import static dev.weft.control.policy.Policies.sel;
import static dev.weft.control.policy.Policies.tcp;
import static dev.weft.control.policy.Policies.udp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.model.ContainerPort;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.Protocol;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The engine against the NetworkPolicy spec, on the upstream conformance cluster: namespaces x, y,
 * z labelled {@code ns=NAME}, each with pods a, b, c labelled {@code pod=NAME}.
 */
class PolicyEngineTest {
  private static final String OUTSIDE = "203.0.113.1";

  private final PolicyEngine engine = new PolicyEngine();
  private final Map<String, UUID> ids = new HashMap<>();
  private final Map<String, String> addresses = new HashMap<>();

  @BeforeEach
  void cluster() {
    String[] nss = {"x", "y", "z"};
    String[] names = {"a", "b", "c"};
    for (int n = 0; n < nss.length; n++) {
      engine.putNamespace(nss[n], labels("ns=" + nss[n]));
      for (int p = 0; p < names.length; p++) {
        pod(nss[n] + "/" + names[p], "pod=" + names[p], "10.32." + n + "." + (p + 1));
      }
    }
    engine.drain();
  }

  private void pod(String key, String labelText, String address, ContainerPort... ports) {
    UUID id = ids.computeIfAbsent(key, k -> Policies.uuid("pod", k));
    addresses.put(key, address);
    String[] parts = key.split("/");
    engine.putPod(id, parts[0], parts[1], labels(labelText), List.of(ports));
  }

  private void relabel(String key, String labelText) {
    String[] parts = key.split("/");
    engine.putPod(ids.get(key), parts[0], parts[1], labels(labelText), List.of());
  }

  private void put(Policies.Builder... policies) {
    for (Policies.Builder p : policies) {
      engine.putPolicy(p.build());
    }
  }

  /** Egress at the source and ingress at the destination; a key or an outside address each. */
  private boolean allowed(String from, String to, Protocol protocol, int port) {
    PolicyView v = engine.view();
    UUID src = ids.get(from);
    UUID dst = ids.get(to);
    String srcAddress = src == null ? from : addresses.get(from);
    String dstAddress = dst == null ? to : addresses.get(to);
    boolean out = src == null || v.egressAllows(src, dst, dstAddress, protocol, port);
    boolean in = dst == null || v.ingressAllows(dst, src, srcAddress, protocol, port);
    return out && in;
  }

  private boolean tcp80(String from, String to) {
    return allowed(from, to, Protocol.TCP, 80);
  }

  /** Which of the nine pods {@code from} reaches on TCP 80, as a string of 9 cells. */
  private String row(String from) {
    StringBuilder sb = new StringBuilder();
    for (String ns : List.of("x", "y", "z")) {
      for (String p : List.of("a", "b", "c")) {
        sb.append(tcp80(from, ns + "/" + p) ? '.' : 'X');
      }
    }
    return sb.toString();
  }

  @Test
  void podsSelectedByNoPolicyAreUnrestricted() {
    assertThat(row("x/a")).isEqualTo(".........");
    assertThat(tcp80(OUTSIDE, "x/a")).isTrue();
    assertThat(allowed("x/a", OUTSIDE, Protocol.UDP, 53)).isTrue();
  }

  @Test
  void aPolicyWithNoIngressRulesIsolatesOnlyTheIngressOfThePodsItSelects() {
    put(policy("x", "deny-all", sel("")).ingress());
    assertThat(row("y/a")).isEqualTo("XXX......");
    assertThat(row("x/b")).isEqualTo("X.X......"); // itself only, within x
    assertThat(tcp80(OUTSIDE, "x/a")).isFalse();
    assertThat(allowed("x/a", OUTSIDE, Protocol.TCP, 443)).isTrue(); // egress untouched
  }

  @Test
  void aPodAlwaysReachesItselfWhateverItsPolicies() {
    put(policy("x", "deny-both", sel("")).ingress().egress());
    assertThat(tcp80("x/a", "x/a")).isTrue();
    assertThat(tcp80("x/a", "x/b")).isFalse();
    assertThat(
            engine
                .view()
                .explainIngress(ids.get("x/a"), ids.get("x/a"), "10.32.0.1", Protocol.TCP, 80)
                .basis())
        .isEqualTo(PolicyDecision.Basis.SELF);
  }

  @Test
  void aPodSelectorAlonePeersWithPodsOfThePolicysOwnNamespace() {
    put(policy("x", "from-a", sel("pod=b")).ingress(from(pods(sel("pod=a")))));
    assertThat(tcp80("x/a", "x/b")).isTrue();
    assertThat(tcp80("y/a", "x/b")).isFalse();
    assertThat(tcp80("x/c", "x/b")).isFalse();
    assertThat(tcp80("y/a", "x/a")).isTrue(); // x/a is not selected
  }

  @Test
  void aNamespaceSelectorAlonePeersWithEveryPodOfTheNamespacesItSelects() {
    put(policy("x", "from-y", sel("")).ingress(from(namespaces(sel("ns=y")))));
    assertThat(row("y/c")).isEqualTo("..." + "......");
    assertThat(row("z/a")).isEqualTo("XXX......");
    assertThat(row("x/a")).isEqualTo("XXX......".replaceFirst("X", ".")); // only itself in x
  }

  @Test
  void bothSelectorsInOnePeerMustHoldTogether() {
    put(policy("x", "and", sel("pod=a")).ingress(from(podsIn(sel("ns=y"), sel("pod=b")))));
    assertThat(tcp80("y/b", "x/a")).isTrue();
    assertThat(tcp80("y/a", "x/a")).isFalse();
    assertThat(tcp80("z/b", "x/a")).isFalse();
    assertThat(tcp80("x/b", "x/a")).isFalse();
  }

  @Test
  void twoPeersOfOneRuleAllowEitherOne() {
    put(policy("x", "or", sel("pod=a")).ingress(from(namespaces(sel("ns=y")), pods(sel("pod=b")))));
    assertThat(tcp80("y/a", "x/a")).isTrue();
    assertThat(tcp80("y/b", "x/a")).isTrue();
    assertThat(tcp80("x/b", "x/a")).isTrue();
    assertThat(tcp80("x/c", "x/a")).isFalse();
    assertThat(tcp80("z/b", "x/a")).isFalse();
  }

  @Test
  void anEmptyNamespaceSelectorMeansEveryPodOfTheClusterButNothingOutside() {
    put(policy("x", "cluster", sel("pod=a")).ingress(from(namespaces(sel("")))));
    assertThat(tcp80("z/c", "x/a")).isTrue();
    assertThat(tcp80(OUTSIDE, "x/a")).isFalse();
  }

  @Test
  void anEmptyPodSelectorPeerMeansEveryPodOfTheOwnNamespace() {
    put(policy("x", "own", sel("pod=a")).ingress(from(pods(sel("")))));
    assertThat(tcp80("x/c", "x/a")).isTrue();
    assertThat(tcp80("y/c", "x/a")).isFalse();
  }

  @Test
  void aRuleWithoutPeersMatchesEveryPeerInsideOrOutsideTheCluster() {
    put(policy("x", "any-80", sel("pod=a")).ingress(on(tcp(80))));
    assertThat(tcp80(OUTSIDE, "x/a")).isTrue();
    assertThat(tcp80("z/c", "x/a")).isTrue();
    assertThat(allowed("z/c", "x/a", Protocol.TCP, 81)).isFalse();
  }

  @Test
  void notInMatchesPodsWithoutTheKeyAndOtherValues() {
    pod("x/nolabel", "", "10.32.0.9");
    put(
        policy("y", "not-a", sel("pod=a"))
            .ingress(from(podsIn(sel(""), sel("", notIn("pod", "a"))))));
    assertThat(tcp80("x/nolabel", "y/a")).isTrue();
    assertThat(tcp80("x/b", "y/a")).isTrue();
    assertThat(tcp80("x/a", "y/a")).isFalse();
  }

  @Test
  void existsAndDoesNotExistLookAtTheKeyOnly() {
    pod("x/tagged", "pod=t,tier=db", "10.32.0.10");
    put(
        policy("y", "tiered", sel("pod=a")).ingress(from(podsIn(sel(""), sel("", exists("tier"))))),
        policy("y", "untiered", sel("pod=b"))
            .ingress(from(podsIn(sel(""), sel("", doesNotExist("tier"))))));
    assertThat(tcp80("x/tagged", "y/a")).isTrue();
    assertThat(tcp80("x/a", "y/a")).isFalse();
    assertThat(tcp80("x/tagged", "y/b")).isFalse();
    assertThat(tcp80("x/a", "y/b")).isTrue();
  }

  @Test
  void inWithSeveralValuesKeepsThemAll() {
    put(
        policy("x", "in", sel("pod=a"))
            .ingress(from(podsIn(sel(""), sel("", in("pod", "b", "c"))))));
    assertThat(tcp80("y/b", "x/a")).isTrue();
    assertThat(tcp80("y/c", "x/a")).isTrue();
    assertThat(tcp80("y/a", "x/a")).isFalse();
  }

  @Test
  void namespaceAndPodLabelsAreSeparateTagSpaces() {
    engine.putNamespace("y", labels("ns=y,pod=a"));
    put(policy("x", "pods-a", sel("pod=c")).ingress(from(podsIn(sel(""), sel("pod=a")))));
    assertThat(tcp80("y/b", "x/c")).isFalse(); // the namespace's pod=a does not make y/b a pod=a
    assertThat(tcp80("y/a", "x/c")).isTrue();
  }

  @Test
  void anIpBlockMatchesAddressesOfPodsAndOfOutsideHostsLessItsExcepts() {
    put(
        policy("x", "block", sel("pod=a"))
            .ingress(from(block("10.32.0.0/16", "10.32.1.0/24"), block("203.0.113.0/24"))));
    assertThat(tcp80("x/b", "x/a")).isTrue(); // 10.32.0.2
    assertThat(tcp80("y/b", "x/a")).isFalse(); // 10.32.1.2, excepted
    assertThat(tcp80("z/b", "x/a")).isTrue(); // 10.32.2.2
    assertThat(tcp80(OUTSIDE, "x/a")).isTrue();
    assertThat(tcp80("198.51.100.1", "x/a")).isFalse();
  }

  @Test
  void anExceptOutsideItsCidrExcludesNothing() {
    put(policy("x", "odd", sel("pod=a")).ingress(from(block("10.32.1.0/24", "10.40.0.0/16"))));
    assertThat(tcp80("y/b", "x/a")).isTrue();
  }

  @Test
  void egressToAnIpBlockJudgesTheDestinationAddress() {
    put(policy("x", "out", sel("pod=a")).egress(from(block("10.32.1.2/32"))));
    assertThat(tcp80("x/a", "y/b")).isTrue();
    assertThat(tcp80("x/a", "y/c")).isFalse();
    assertThat(tcp80("x/a", OUTSIDE)).isFalse();
  }

  @Test
  void namedPortsResolveOnEachDestinationPod() {
    pod("x/b", "pod=b", "10.32.0.2", declared("http", Protocol.TCP, 80));
    pod("x/c", "pod=c", "10.32.0.3", declared("http", Protocol.TCP, 8080));
    put(policy("x", "http", sel("")).ingress(on(named(Protocol.TCP, "http"))));
    assertThat(allowed("y/a", "x/b", Protocol.TCP, 80)).isTrue();
    assertThat(allowed("y/a", "x/b", Protocol.TCP, 8080)).isFalse();
    assertThat(allowed("y/a", "x/c", Protocol.TCP, 8080)).isTrue();
    assertThat(allowed("y/a", "x/c", Protocol.TCP, 80)).isFalse();
    assertThat(allowed("y/a", "x/a", Protocol.TCP, 80)).isFalse(); // declares no such name
  }

  @Test
  void aNamedPortMatchesOnlyItsDeclaredProtocol() {
    pod("x/b", "pod=b", "10.32.0.2", declared("dns", Protocol.UDP, 53));
    put(policy("x", "dns-tcp", sel("pod=b")).ingress(on(named(Protocol.TCP, "dns"))));
    assertThat(allowed("y/a", "x/b", Protocol.TCP, 53)).isFalse();
    assertThat(allowed("y/a", "x/b", Protocol.UDP, 53)).isFalse();
    put(policy("x", "dns-tcp", sel("pod=b")).ingress(on(named(Protocol.UDP, "dns"))));
    assertThat(allowed("y/a", "x/b", Protocol.UDP, 53)).isTrue();
  }

  @Test
  void egressWithANamedPortMatchesNothingButAPodDeclaringIt() {
    pod("y/b", "pod=b", "10.32.1.2", declared("http", Protocol.TCP, 80));
    put(policy("x", "out-http", sel("pod=a")).egress(on(named(Protocol.TCP, "http"))));
    assertThat(tcp80("x/a", "y/b")).isTrue();
    assertThat(tcp80("x/a", "y/c")).isFalse();
    assertThat(tcp80("x/a", OUTSIDE)).isFalse();
  }

  @Test
  void endPortMakesARange() {
    put(policy("x", "range", sel("pod=a")).ingress(on(port(Protocol.TCP, 80, 90))));
    assertThat(allowed("y/a", "x/a", Protocol.TCP, 79)).isFalse();
    assertThat(allowed("y/a", "x/a", Protocol.TCP, 80)).isTrue();
    assertThat(allowed("y/a", "x/a", Protocol.TCP, 90)).isTrue();
    assertThat(allowed("y/a", "x/a", Protocol.TCP, 91)).isFalse();
  }

  @Test
  void aPortMatchesItsProtocolOnlyAndARuleWithoutPortsEveryProtocol() {
    put(policy("x", "tcp-80", sel("pod=a")).ingress(on(tcp(80))));
    put(policy("x", "udp-any", sel("pod=b")).ingress(on(all(Protocol.UDP))));
    put(policy("x", "any", sel("pod=c")).ingress(from(namespaces(sel("ns=y")))));
    assertThat(allowed("y/a", "x/a", Protocol.UDP, 80)).isFalse();
    assertThat(allowed("y/a", "x/a", Protocol.ICMP, 0)).isFalse();
    assertThat(allowed("y/a", "x/b", Protocol.UDP, 5353)).isTrue();
    assertThat(allowed("y/a", "x/b", Protocol.TCP, 5353)).isFalse();
    assertThat(allowed("y/a", "x/c", Protocol.ICMP, 0)).isTrue();
    assertThat(allowed("y/a", "x/c", Protocol.SCTP, 9)).isTrue();
  }

  @Test
  void policiesSelectingOnePodCombineAsAUnion() {
    put(
        policy("x", "from-y", sel("pod=a")).ingress(from(namespaces(sel("ns=y")))),
        policy("x", "udp-from-z", sel(""))
            .ingress(rule(peers(namespaces(sel("ns=z"))), ports(udp(53)))));
    assertThat(tcp80("y/a", "x/a")).isTrue();
    assertThat(allowed("z/a", "x/a", Protocol.UDP, 53)).isTrue();
    assertThat(tcp80("z/a", "x/a")).isFalse();
    assertThat(tcp80("y/a", "x/b")).isFalse(); // x/b has only udp-from-z
    assertThat(engine.view().appliedPolicies(ids.get("x/a")))
        .containsExactly(
            Policies.uuid("firewall-policy", "x/from-y"),
            Policies.uuid("firewall-policy", "x/udp-from-z"));
  }

  @Test
  void aConnectionNeedsEgressAtTheSourceAndIngressAtTheDestination() {
    put(policy("x", "a-out", sel("pod=a")).egress(from(namespaces(sel("ns=y")))));
    put(policy("y", "b-in", sel("pod=b")).ingress(from(namespaces(sel("ns=z")))));
    assertThat(tcp80("x/a", "y/a")).isTrue();
    assertThat(tcp80("x/a", "y/b")).isFalse(); // egress allows, ingress does not
    assertThat(tcp80("z/a", "y/b")).isTrue();
    assertThat(tcp80("x/a", "z/a")).isFalse(); // egress does not allow
  }

  @Test
  void aPolicyGoverningEgressOnlyLeavesIngressOpen() {
    put(policy("x", "egress-only", sel("")).egress());
    assertThat(tcp80("y/a", "x/a")).isTrue();
    assertThat(tcp80("x/a", "y/a")).isFalse();
  }

  @Test
  void addingUpdatingAndRemovingAPolicyTakesEffectAtOnce() {
    FirewallPolicy deny = policy("x", "p", sel("pod=a")).ingress().build();
    engine.putPolicy(deny);
    assertThat(tcp80("y/a", "x/a")).isFalse();
    engine.putPolicy(policy("x", "p", sel("pod=a")).ingress(from(namespaces(sel("ns=y")))).build());
    assertThat(tcp80("y/a", "x/a")).isTrue();
    engine.putPolicy(policy("x", "p", sel("pod=b")).ingress().build());
    assertThat(tcp80("y/a", "x/a")).isTrue();
    assertThat(tcp80("y/a", "x/b")).isFalse();
    engine.removePolicy(deny.uuid());
    assertThat(row("y/a")).isEqualTo(".........");
    assertThat(engine.view().groups()).isEmpty();
    assertThat(engine.stats().namespaceGroups()).isZero();
  }

  @Test
  void aLabelChangeMovesAPodIntoAndOutOfGroups() {
    put(
        policy("x", "from-client", sel("pod=a"))
            .ingress(from(podsIn(sel(""), sel("role=client")))));
    assertThat(tcp80("y/b", "x/a")).isFalse();
    relabel("y/b", "pod=b,role=client");
    assertThat(tcp80("y/b", "x/a")).isTrue();
    relabel("x/a", "pod=moved");
    assertThat(tcp80("z/c", "x/a")).isTrue(); // no longer selected
    relabel("x/a", "pod=a");
    relabel("y/b", "pod=b");
    assertThat(tcp80("y/b", "x/a")).isFalse();
  }

  @Test
  void aNamespaceLabelChangeMovesItsPodsIntoAndOutOfPeerGroups() {
    put(policy("x", "from-team", sel("")).ingress(from(namespaces(sel("team=blue")))));
    assertThat(tcp80("z/a", "x/a")).isFalse();
    engine.putNamespace("z", labels("ns=z,team=blue"));
    assertThat(tcp80("z/a", "x/a")).isTrue();
    engine.putNamespace("z", labels("ns=z,team=red"));
    assertThat(tcp80("z/a", "x/a")).isFalse();
  }

  @Test
  void aNamespaceIsSelectableByItsNameLabelEvenWithoutAProject() {
    engine.removeNamespace("y");
    pod("w/a", "pod=a", "10.32.9.1"); // a namespace known only through its pod
    put(
        policy("x", "by-name", sel(""))
            .ingress(from(namespaces(sel(PolicyEngine.NAMESPACE_NAME_LABEL + "=w")))),
        policy("z", "not-y", sel("")).ingress(from(namespaces(sel("", notIn("ns", "x"))))));
    assertThat(tcp80("w/a", "x/b")).isTrue();
    assertThat(tcp80("y/a", "x/b")).isFalse();
    assertThat(tcp80("y/a", "z/b")).isTrue(); // y lost its labels: ns notin (x) holds
    assertThat(tcp80("x/a", "z/b")).isFalse();
  }

  @Test
  void aDeletedPodLeavesItsGroupsAndANewOneWithItsLabelsJoinsThem() {
    put(policy("x", "from-a", sel("pod=b")).ingress(from(pods(sel("pod=a")))));
    GroupKey peers = GroupKey.inNamespace("x", sel("pod=a"));
    engine.drain();
    engine.removePod(ids.get("x/a"));
    assertThat(engine.view().members(peers)).isEmpty();
    PolicyDelta gone = engine.drain();
    assertThat(gone.groups())
        .containsExactly(
            new PolicyDelta.GroupChange(
                peers, PolicyDelta.Kind.UPDATED, List.of(), List.of(ids.get("x/a"))));
    pod("x/a2", "pod=a", "10.32.0.7");
    assertThat(tcp80("x/a2", "x/b")).isTrue();
    assertThat(engine.drain().groups())
        .containsExactly(
            new PolicyDelta.GroupChange(
                peers, PolicyDelta.Kind.UPDATED, List.of(ids.get("x/a2")), List.of()));
  }

  @Test
  void deltasNameTheGroupsCreatedPatchedAndDeletedAndTheInterfacesWhosePoliciesChanged() {
    FirewallPolicy p =
        policy("x", "from-y", sel("pod=a")).ingress(from(namespaces(sel("ns=y")))).build();
    engine.putPolicy(p);
    GroupKey applied = GroupKey.inNamespace("x", sel("pod=a"));
    GroupKey fromY = GroupKey.acrossNamespaces(sel("ns=y"), sel(""));
    PolicyDelta created = engine.drain();
    assertThat(created.groups())
        .containsExactly(
            new PolicyDelta.GroupChange(
                applied, PolicyDelta.Kind.CREATED, sorted("x/a"), List.of()),
            new PolicyDelta.GroupChange(
                fromY, PolicyDelta.Kind.CREATED, sorted("y/a", "y/b", "y/c"), List.of()));
    assertThat(created.policies()).containsExactly(p.uuid());
    assertThat(created.interfaces()).containsExactly(ids.get("x/a"));

    relabel("x/b", "pod=a");
    PolicyDelta relabelled = engine.drain();
    assertThat(relabelled.groups())
        .containsExactly(
            new PolicyDelta.GroupChange(
                applied, PolicyDelta.Kind.UPDATED, sorted("x/b"), List.of()));
    assertThat(relabelled.interfaces()).containsExactly(ids.get("x/b"));
    assertThat(relabelled.policies()).isEmpty();

    relabel("x/b", "pod=c");
    relabel("x/b", "pod=a"); // and back, within one batch: no change
    assertThat(engine.drain().isEmpty()).isTrue();

    engine.removePolicy(p.uuid());
    PolicyDelta removed = engine.drain();
    assertThat(removed.groups())
        .extracting(PolicyDelta.GroupChange::kind)
        .containsOnly(PolicyDelta.Kind.DELETED);
    assertThat(removed.interfaces()).containsExactlyElementsOf(sorted("x/a", "x/b"));
  }

  @Test
  void aRuleChangeKeepingTheSelectedPodsTouchesNoInterface() {
    engine.putPolicy(policy("x", "p", sel("pod=a")).ingress(on(tcp(80))).build());
    engine.drain();
    engine.putPolicy(policy("x", "p", sel("pod=a")).ingress(on(tcp(81))).build());
    PolicyDelta d = engine.drain();
    assertThat(d.interfaces()).isEmpty();
    assertThat(d.groups()).isEmpty();
    assertThat(d.policies()).containsExactly(Policies.uuid("firewall-policy", "x/p"));
    assertThat(allowed("y/a", "x/a", Protocol.TCP, 81)).isTrue();
    assertThat(tcp80("y/a", "x/a")).isFalse();
  }

  @Test
  void groupsAreSharedByThePoliciesNamingThemAndLiveWhileOneDoes() {
    put(
        policy("x", "one", sel("pod=a")).ingress(from(pods(sel("pod=b")))),
        policy("x", "two", sel("pod=b")).ingress(from(pods(sel("pod=a")))));
    assertThat(engine.view().groups())
        .containsExactly(
            GroupKey.inNamespace("x", sel("pod=a")), GroupKey.inNamespace("x", sel("pod=b")));
    engine.removePolicy(Policies.uuid("firewall-policy", "x/one"));
    assertThat(engine.view().groups()).hasSize(2);
    assertThat(engine.view().members(GroupKey.inNamespace("x", sel("pod=a"))))
        .containsExactly(ids.get("x/a"));
  }

  @Test
  void theTraceNamesThePolicyRulePeerAndPortThatAllowed() {
    put(
        policy("x", "allow-from-a", sel("pod=b"))
            .ingress(rule(peers(pods(sel("pod=a"))), ports(tcp(80)))));
    PolicyDecision d =
        engine.view().explainIngress(ids.get("x/b"), ids.get("x/a"), "10.32.0.1", Protocol.TCP, 80);
    assertThat(d.describe())
        .isEqualTo(
            "ingress x/b: allowed by NetworkPolicy x/allow-from-a ingress rule 1 (peer 1: pods pod=a"
                + " of its namespace; port 80/TCP)");
    assertThat(d.policy()).isEqualTo("x/allow-from-a");
    assertThat(d.rule()).isEqualTo(1);
  }

  @Test
  void theTraceSaysWhichPoliciesSelectedAPodThatNoRuleAllowed() {
    put(
        policy("x", "deny-all", sel("")).ingress(),
        policy("x", "allow-81", sel("")).ingress(on(tcp(81))));
    PolicyDecision d =
        engine.view().explainIngress(ids.get("x/b"), ids.get("y/a"), "10.32.1.1", Protocol.TCP, 80);
    assertThat(d.allowed()).isFalse();
    assertThat(d.describe())
        .isEqualTo(
            "ingress x/b: denied: selected by NetworkPolicies x/allow-81, x/deny-all and no rule"
                + " allows tcp from 10.32.1.1 (y/a) to port 80");
    PolicyDecision open =
        engine.view().explainEgress(ids.get("y/a"), ids.get("x/b"), "10.32.0.2", Protocol.TCP, 80);
    assertThat(open.describe())
        .isEqualTo("egress y/a: no NetworkPolicy selects this pod for egress");
  }

  @Test
  void everyAnswerIsTheSameExplainedOrNot() {
    pod("x/b", "pod=b", "10.32.0.2", declared("http", Protocol.TCP, 80));
    put(
        policy("x", "one", sel("pod=b"))
            .ingress(rule(peers(namespaces(sel("ns=y"))), ports(named(Protocol.TCP, "http")))),
        policy("x", "two", sel("", in("pod", "a", "b"))).egress(from(block("10.32.1.0/24"))),
        policy("y", "three", sel(""))
            .ingress(from(podsIn(sel(""), sel("pod=b"))))
            .egress(on(tcp(80))));
    PolicyView v = engine.view();
    List<String> keys = new ArrayList<>(ids.keySet());
    keys.add(OUTSIDE);
    for (String from : keys) {
      for (String to : keys) {
        for (int port : new int[] {80, 81}) {
          UUID s = ids.get(from);
          UUID t = ids.get(to);
          String sa = s == null ? from : addresses.get(from);
          String ta = t == null ? to : addresses.get(to);
          if (s != null) {
            assertThat(v.explainEgress(s, t, ta, Protocol.TCP, port).allowed())
                .as("egress %s -> %s:%d", from, to, port)
                .isEqualTo(v.egressAllows(s, t, ta, Protocol.TCP, port));
          }
          if (t != null) {
            assertThat(v.explainIngress(t, s, sa, Protocol.TCP, port).allowed())
                .as("ingress %s -> %s:%d", from, to, port)
                .isEqualTo(v.ingressAllows(t, s, sa, Protocol.TCP, port));
          }
        }
      }
    }
  }

  private List<UUID> sorted(String... keys) {
    List<UUID> out = new ArrayList<>();
    for (String k : keys) {
      out.add(ids.get(k));
    }
    out.sort(null);
    return out;
  }
}
