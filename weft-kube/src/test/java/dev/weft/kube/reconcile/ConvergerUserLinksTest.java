package dev.weft.kube.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.kube.ClusterConfig;
import dev.weft.kube.translate.ClusterObjects;
import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.NamespaceObjects;
import dev.weft.model.FqName;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.PolicyLink;
import dev.weft.model.PolicyRule;
import dev.weft.model.Project;
import dev.weft.model.Ref;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.Stored;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The kube-manager owns the networks it derives but not the links users add from them to their own
 * network policies: those survive every convergence of the cluster and of namespaces, and a
 * restart, without being rewritten each time.
 */
class ConvergerUserLinksTest {
  private static final FqName POD_NETWORK =
      FqName.parse("default-domain:k8s-default:k8s-default-pod-network");
  private static final FqName DERIVED_POLICY =
      FqName.parse("default-domain:k8s-default:k8s-default-pod-service-np");

  private final ClusterConfig config = ClusterConfig.defaults();
  private final MemoryConfigStore kv = new MemoryConfigStore();
  private ObjectStore store = new ObjectStore(kv);
  private Converger converger = new Converger(store);

  @AfterEach
  void close() {
    store.close();
    kv.close();
  }

  private Converger.Outcome convergeCluster() {
    return converger.converge(ClusterObjects.key(), ClusterObjects.desired(config), null);
  }

  private static NamespaceInfo namespace(String name, Map<String, String> annotations) {
    return new NamespaceInfo(
        name, UUID.nameUUIDFromBytes(name.getBytes()).toString(), Map.of(), annotations);
  }

  private Converger.Outcome convergeNamespace(NamespaceInfo ns) {
    return converger.converge(
        NamespaceObjects.key(ns.name()), NamespaceObjects.desired(config, ns), null);
  }

  private Stored<VirtualNetwork> network(FqName fq) {
    return store.cache().<VirtualNetwork>get(ObjectType.VIRTUAL_NETWORK, fq).orElseThrow();
  }

  private List<FqName> linkedPolicies(FqName network) {
    return network(network).object().networkPolicyRefs().stream()
        .map(l -> l.policy().to())
        .toList();
  }

  /** A policy a user made (no owner annotations) in the project of {@code network}. */
  private NetworkPolicy userPolicy(FqName network, String name) {
    Project project =
        store.cache().<Project>get(ObjectType.PROJECT, network.parentName()).orElseThrow().object();
    NetworkPolicy policy =
        new NetworkPolicy(
            UUID.randomUUID(),
            project.fqName().child(name),
            Ref.to(project),
            Map.of(),
            List.of(PolicyRule.passBetween(network, project.fqName().child("vn-left-1"))));
    store.commit(store.begin().create(policy));
    return policy;
  }

  /** Appends a link to {@code policy} on {@code network}, as the config API does. */
  private void link(FqName network, Ref policy, int sequence) {
    Stored<VirtualNetwork> stored = network(network);
    List<PolicyLink> links = new ArrayList<>(stored.object().networkPolicyRefs());
    links.add(new PolicyLink(policy, sequence));
    store.commit(store.begin().update(stored, stored.object().withPolicies(links)));
  }

  @Test
  void aUserLinkOnTheDefaultPodNetworkSurvivesClusterReconcilesWithoutRewrites() {
    convergeCluster();
    NetworkPolicy mine = userPolicy(POD_NETWORK, "np-join");
    link(POD_NETWORK, Ref.to(mine), 5);
    long revision = network(POD_NETWORK).modRevision();

    Converger.Outcome first = convergeCluster();
    Converger.Outcome second = convergeCluster();

    assertThat(first.changed()).as(first.toString()).isFalse();
    assertThat(second.changed()).isFalse();
    assertThat(network(POD_NETWORK).modRevision()).isEqualTo(revision);
    assertThat(network(POD_NETWORK).object().networkPolicyRefs())
        .extracting(PolicyLink::sequence)
        .containsExactly(0, 5);
    assertThat(linkedPolicies(POD_NETWORK)).containsExactly(DERIVED_POLICY, mine.fqName());
  }

  @Test
  void aUserLinkOnTheDefaultPodNetworkSurvivesNamespaceReconciles() {
    convergeCluster();
    NetworkPolicy mine = userPolicy(POD_NETWORK, "np-join");
    link(POD_NETWORK, Ref.to(mine), 0);

    convergeNamespace(namespace("default", Map.of()));
    convergeNamespace(namespace("ns-a", Map.of(KubeAnnotations.ISOLATION, "true")));
    convergeNamespace(namespace("ns-a", Map.of()));
    Converger.Outcome cluster = convergeCluster();

    assertThat(cluster.changed()).isFalse();
    assertThat(linkedPolicies(POD_NETWORK)).containsExactly(DERIVED_POLICY, mine.fqName());
  }

  @Test
  void aUserLinkOnAnIsolatedNamespaceNetworkSurvivesChangesToTheNamespace() {
    convergeCluster();
    NamespaceInfo isolated = namespace("ns-a", Map.of(KubeAnnotations.ISOLATION, "true"));
    convergeNamespace(isolated);
    FqName podNetwork = FqName.parse("default-domain:k8s-ns-a:k8s-ns-a-pod-network");
    FqName serviceNetwork = FqName.parse("default-domain:k8s-ns-a:k8s-ns-a-service-network");
    NetworkPolicy mine = userPolicy(podNetwork, "np-join");
    link(podNetwork, Ref.to(mine), 1);
    link(serviceNetwork, Ref.to(mine), 1);

    Converger.Outcome unchanged = convergeNamespace(isolated);
    // Opening the namespace's services rewrites its service network (its annotations change).
    Converger.Outcome changed =
        convergeNamespace(
            namespace(
                "ns-a",
                Map.of(
                    KubeAnnotations.ISOLATION,
                    "true",
                    KubeAnnotations.SERVICE_ISOLATION,
                    "false")));

    assertThat(unchanged.changed()).isFalse();
    // The project, the service network, and the policy (it now joins the default pod network).
    assertThat(changed.updated()).isEqualTo(3);
    assertThat(linkedPolicies(podNetwork))
        .containsExactly(
            FqName.parse("default-domain:k8s-ns-a:k8s-ns-a-pod-service-np"), mine.fqName());
    assertThat(linkedPolicies(serviceNetwork))
        .containsExactly(
            FqName.parse("default-domain:k8s-ns-a:k8s-ns-a-pod-service-np"), mine.fqName());
  }

  @Test
  void theDerivedLinksAreRepairedAndTheUserLinksKept() {
    convergeCluster();
    NetworkPolicy mine = userPolicy(POD_NETWORK, "np-join");
    Stored<VirtualNetwork> stored = network(POD_NETWORK);
    // Someone dropped the derived link and left only the user's.
    store.commit(
        store
            .begin()
            .update(
                stored, stored.object().withPolicies(List.of(new PolicyLink(Ref.to(mine), 3)))));

    Converger.Outcome repaired = convergeCluster();
    Converger.Outcome again = convergeCluster();

    assertThat(repaired.updated()).isEqualTo(1);
    assertThat(again.changed()).isFalse();
    assertThat(linkedPolicies(POD_NETWORK)).containsExactly(DERIVED_POLICY, mine.fqName());
    assertThat(network(POD_NETWORK).object().networkPolicyRefs().get(1).sequence()).isEqualTo(3);
  }

  @Test
  void linksToPoliciesWeftDerivesAreExactlyWhatTheOwnerWants() {
    convergeCluster();
    convergeNamespace(namespace("ns-a", Map.of(KubeAnnotations.ISOLATION, "true")));
    Stored<NetworkPolicy> otherDerived =
        store
            .cache()
            .<NetworkPolicy>get(
                ObjectType.NETWORK_POLICY,
                FqName.parse("default-domain:k8s-ns-a:k8s-ns-a-pod-service-np"))
            .orElseThrow();
    link(POD_NETWORK, Ref.to(otherDerived.object()), 0);

    Converger.Outcome outcome = convergeCluster();

    assertThat(outcome.updated()).isEqualTo(1);
    assertThat(linkedPolicies(POD_NETWORK)).containsExactly(DERIVED_POLICY);
  }

  @Test
  void aLinkToAPolicyTheCacheDoesNotShowYetIsKept() {
    convergeCluster();
    FqName name = FqName.parse("default-domain:k8s-default:np-later");
    Ref notYetSeen = new Ref(ObjectType.NETWORK_POLICY, UUID.randomUUID(), name);
    link(POD_NETWORK, notYetSeen, 0);

    Converger.Outcome outcome = convergeCluster();

    assertThat(outcome.changed()).isFalse();
    assertThat(linkedPolicies(POD_NETWORK)).containsExactly(DERIVED_POLICY, name);
  }

  @Test
  void aLinkToAGoneNamespacePolicyIsDroppedNotKeptAsTheUsers() {
    convergeCluster();
    // An isolated namespace's policy, deleted with its isolation before the cluster dropped its
    // link: the name says Weft derived it, so the link is not a user's.
    FqName gone = FqName.parse("default-domain:k8s-ns-1:k8s-ns-1-pod-service-np");
    link(POD_NETWORK, new Ref(ObjectType.NETWORK_POLICY, UUID.randomUUID(), gone), 0);

    Converger.Outcome outcome = convergeCluster();

    assertThat(outcome.changed()).isTrue();
    assertThat(linkedPolicies(POD_NETWORK)).containsExactly(DERIVED_POLICY);
  }

  @Test
  void aUserLinkSurvivesARestartOfTheKubeManager() {
    convergeCluster();
    NetworkPolicy mine = userPolicy(POD_NETWORK, "np-join");
    link(POD_NETWORK, Ref.to(mine), 0);
    long revision = network(POD_NETWORK).modRevision();

    store.close();
    store = new ObjectStore(kv);
    converger = new Converger(store);
    Converger.Outcome outcome = convergeCluster();

    assertThat(outcome.changed()).isFalse();
    assertThat(network(POD_NETWORK).modRevision()).isEqualTo(revision);
    assertThat(linkedPolicies(POD_NETWORK)).containsExactly(DERIVED_POLICY, mine.fqName());
  }
}
