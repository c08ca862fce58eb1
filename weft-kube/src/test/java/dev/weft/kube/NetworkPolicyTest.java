package dev.weft.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.kube.translate.NetworkPolicyObjects;
import dev.weft.kube.translate.Uuids;
import dev.weft.model.ConfigObject;
import dev.weft.model.ContainerPort;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.FqName;
import dev.weft.model.LabelRequirement;
import dev.weft.model.Names;
import dev.weft.model.ObjectType;
import dev.weft.model.Project;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.Stored;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * NetworkPolicies become firewall policies, pod labels and declared ports reach the pod's interface
 * and namespace labels its project: component tests against the embedded API and a real store.
 */
class NetworkPolicyTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final String NAME_LABEL = "kubernetes.io/metadata.name";
  private Cluster cluster;

  static {
    org.awaitility.Awaitility.setDefaultTimeout(TIMEOUT);
    org.awaitility.Awaitility.setDefaultPollInterval(Duration.ofMillis(20));
  }

  @BeforeEach
  void start() throws Exception {
    cluster = new Cluster(ClusterConfig.defaults());
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  // --- Kubernetes side ----------------------------------------------------------------------

  /** Creates or relabels a namespace, and waits for the API server's name label on it. */
  private void namespace(String name, Map<String, String> labels) {
    Map<String, String> all = new HashMap<>(labels);
    all.put(NAME_LABEL, name);
    cluster
        .client
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(all)
                .endMetadata()
                .build())
        .createOr(Cluster::updateRetrying);
  }

  /** A running pod whose container declares {@code serve-P-tcp} for each of {@code ports}. */
  private Pod pod(String ns, String name, Map<String, String> labels, int... ports) {
    List<io.fabric8.kubernetes.api.model.ContainerPort> declared = new ArrayList<>();
    for (int p : ports) {
      declared.add(
          new io.fabric8.kubernetes.api.model.ContainerPortBuilder()
              .withName("serve-" + p + "-tcp")
              .withContainerPort(p)
              .build());
    }
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .withLabels(labels)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("c")
            .withImage("agnhost")
            .withPorts(declared)
            .endContainer()
            .endSpec()
            .build();
    cluster.client.resource(pod).create();
    await().until(() -> podIp(ns, name) != null);
    return cluster.client.pods().inNamespace(ns).withName(name).get();
  }

  private String podIp(String ns, String name) {
    Pod p = cluster.client.pods().inNamespace(ns).withName(name).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getPodIP();
  }

  private NetworkPolicy apply(String yaml) {
    return cluster
        .client
        .resource(Serialization.unmarshal(yaml, NetworkPolicy.class))
        .createOr(Cluster::updateRetrying);
  }

  private void settle() throws InterruptedException {
    Processed p = cluster.manager.awaitProcessed(TIMEOUT);
    assertThat(p.reached()).as(p.describe()).isTrue();
  }

  private List<Event> events(String ns, String involved, String reason) {
    return cluster.client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> involved.equals(e.getInvolvedObject().getName()))
        .filter(e -> "NetworkPolicy".equals(e.getInvolvedObject().getKind()))
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  // --- Weft side ----------------------------------------------------------------------------

  private Optional<FirewallPolicy> firewallPolicy(String ns, String name) {
    return cluster.store.cache().ownedBy(NetworkPolicyObjects.key(ns, name)).stream()
        .map(Stored::object)
        .filter(FirewallPolicy.class::isInstance)
        .map(FirewallPolicy.class::cast)
        .findFirst();
  }

  private Project project(String ns) {
    return cluster
        .store
        .cache()
        .<Project>get(ObjectType.PROJECT, Names.projectFq("k8s", ns))
        .orElseThrow()
        .object();
  }

  private Stored<VirtualMachineInterface> vmi(Pod pod) {
    return cluster
        .store
        .cache()
        .<VirtualMachineInterface>get(
            ObjectType.VIRTUAL_MACHINE_INTERFACE,
            Uuids.of("virtual-machine-interface", pod.getMetadata().getUid()))
        .orElseThrow();
  }

  /** Records every object change of the store from now on, as {@code type fq-name}. */
  private List<String> recordChanges() {
    List<String> changes = Collections.synchronizedList(new ArrayList<>());
    cluster
        .store
        .cache()
        .addListener(
            new ObjectCache.Listener() {
              @Override
              public void onChange(ConfigObject before, ConfigObject after) {
                ConfigObject o = after == null ? before : after;
                String what = before == null ? "create" : after == null ? "delete" : "update";
                changes.add(what + " " + o.type().singular() + " " + o.fqName());
              }
            });
    return changes;
  }

  // --- behaviour ----------------------------------------------------------------------------

  @Test
  void aNetworkPolicyConvergesToOneFirewallPolicyThroughCreateUpdateAndDelete() throws Exception {
    namespace("x", Map.of());
    NetworkPolicy np =
        apply(
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: allow-a, namespace: x}
            spec:
              podSelector:
                matchExpressions:
                - {key: pod, operator: In, values: [a, b]}
              ingress:
              - from:
                - podSelector: {matchLabels: {pod: c}}
                  namespaceSelector: {matchLabels: {ns: y}}
                ports:
                - port: 80
            """);
    settle();
    FirewallPolicy fp = firewallPolicy("x", "allow-a").orElseThrow();
    assertThat(fp.uuid()).isEqualTo(UUID.fromString(np.getMetadata().getUid()));
    assertThat(fp.fqName()).isEqualTo(FqName.of("default-domain", "k8s-x", "k8s__x__allow-a"));
    assertThat(fp.parent().uuid()).isEqualTo(project("x").uuid());
    assertThat(fp.namespace()).isEqualTo("x");
    assertThat(fp.ingress()).isTrue();
    assertThat(fp.egress()).isFalse();
    assertThat(fp.podSelector().matchExpressions())
        .containsExactly(
            new LabelRequirement("pod", LabelRequirement.Operator.IN, List.of("a", "b")));
    assertThat(fp.ingressRules()).hasSize(1);
    assertThat(fp.ingressRules().get(0).peers().get(0).toString())
        .isEqualTo("pods pod=c of namespaces ns=y");

    apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: allow-a, namespace: x}
        spec:
          podSelector: {}
          egress:
          - to:
            - ipBlock: {cidr: 10.0.0.0/8}
        """);
    settle();
    FirewallPolicy updated = firewallPolicy("x", "allow-a").orElseThrow();
    assertThat(updated.uuid()).isEqualTo(fp.uuid());
    assertThat(updated.ingress()).isTrue();
    assertThat(updated.egress()).isTrue();
    assertThat(updated.ingressRules()).isEmpty();
    assertThat(updated.egressRules().get(0).peers().get(0).toString())
        .isEqualTo("ipBlock 10.0.0.0/8");

    // A metadata-only change queues nothing and writes nothing.
    long revision = cluster.kv.revision();
    cluster
        .client
        .network()
        .v1()
        .networkPolicies()
        .inNamespace("x")
        .withName("allow-a")
        .edit(
            p ->
                new io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder(p)
                    .editMetadata()
                    .addToLabels("note", "unrelated")
                    .endMetadata()
                    .build());
    settle();
    assertThat(cluster.kv.revision()).isEqualTo(revision);

    cluster.client.network().v1().networkPolicies().inNamespace("x").withName("allow-a").delete();
    settle();
    assertThat(firewallPolicy("x", "allow-a")).isEmpty();
    assertThat(cluster.store.cache().list(ObjectType.FIREWALL_POLICY)).isEmpty();
  }

  @Test
  void aPolicyOfTheDefaultNamespaceIsAChildOfTheClustersProject() throws Exception {
    apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: deny-all, namespace: default}
        spec:
          podSelector: {}
          policyTypes: [Ingress, Egress]
        """);
    settle();
    FirewallPolicy fp = firewallPolicy("default", "deny-all").orElseThrow();
    assertThat(fp.parent().uuid()).isEqualTo(project("default").uuid());
    assertThat(fp.ingressRules()).isEmpty();
    assertThat(fp.egressRules()).isEmpty();
  }

  @Test
  void aPolicyCreatedWithItsNamespaceWaitsForTheProjectAndGoesWithTheNamespace() throws Exception {
    namespace("y", Map.of());
    apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: y}
        spec: {podSelector: {}}
        """);
    settle();
    assertThat(firewallPolicy("y", "p")).isPresent();
    assertThat(cluster.manager.problems()).doesNotContainKey("NetworkPolicy/y/p");

    cluster.client.namespaces().withName("y").delete();
    settle();
    await().until(() -> firewallPolicy("y", "p").isEmpty());
    // The namespace controller takes its policies with it, so a namespace of the same name starts
    // without them.
    await()
        .until(
            () ->
                cluster
                    .client
                    .network()
                    .v1()
                    .networkPolicies()
                    .inNamespace("y")
                    .list()
                    .getItems()
                    .isEmpty());
    settle();
    // The project, whose deletion waited for its child, goes too.
    await()
        .until(
            () ->
                cluster
                    .store
                    .cache()
                    .get(ObjectType.PROJECT, Names.projectFq("k8s", "y"))
                    .isEmpty());
  }

  @Test
  void aPolicyWhoseNamespaceIsNotThereYetConvergesWhenItComes() throws Exception {
    apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: early, namespace: late}
        spec: {podSelector: {}}
        """);
    settle();
    assertThat(firewallPolicy("late", "early")).isEmpty();
    assertThat(cluster.manager.problems()).doesNotContainKey("NetworkPolicy/late/early");
    namespace("late", Map.of());
    settle();
    assertThat(firewallPolicy("late", "early").orElseThrow().parent().uuid())
        .isEqualTo(project("late").uuid());
  }

  @Test
  void aPolicyDeletedWhileTheManagerIsDownIsCollectedOnStart() throws Exception {
    namespace("x", Map.of());
    apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: gone, namespace: x}
        spec: {podSelector: {}}
        """);
    settle();
    assertThat(firewallPolicy("x", "gone")).isPresent();
    cluster.stopManager();
    cluster.client.network().v1().networkPolicies().inNamespace("x").withName("gone").delete();
    cluster.startManager();
    settle();
    assertThat(firewallPolicy("x", "gone")).isEmpty();
  }

  @Test
  void aPolicyReplacedByAnInvalidOneOfTheSameNameDoesNotInheritItsFirewallPolicy()
      throws Exception {
    namespace("x", Map.of());
    apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: x}
        spec: {podSelector: {}}
        """);
    settle();
    assertThat(firewallPolicy("x", "p")).isPresent();
    cluster.stopManager();
    cluster.client.network().v1().networkPolicies().inNamespace("x").withName("p").delete();
    apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: x}
        spec: {podSelector: {}, policyTypes: [Sideways]}
        """);
    cluster.startManager();
    settle();
    assertThat(firewallPolicy("x", "p")).isEmpty();
    await().until(() -> events("x", "p", NetworkPolicyObjects.INVALID).size() == 1);
  }

  @Test
  void aPodLabelChangeIsOneInterfaceUpdate() throws Exception {
    namespace("x", Map.of());
    Pod pod = pod("x", "a", Map.of("pod", "a"), 80, 81);
    settle();
    VirtualMachineInterface before = vmi(pod).object();
    assertThat(before.labels()).isEqualTo(Map.of("pod", "a"));
    assertThat(before.ports())
        .containsExactly(
            new ContainerPort("serve-80-tcp", Protocol.TCP, 80),
            new ContainerPort("serve-81-tcp", Protocol.TCP, 81));

    List<String> changes = recordChanges();
    long revision = cluster.kv.revision();
    cluster
        .client
        .pods()
        .inNamespace("x")
        .withName("a")
        .edit(
            p -> new PodBuilder(p).editMetadata().addToLabels("tier", "web").endMetadata().build());
    settle();
    Stored<VirtualMachineInterface> after = vmi(pod);
    assertThat(after.object().labels()).isEqualTo(Map.of("pod", "a", "tier", "web"));
    assertThat(changes)
        .containsExactly("update virtual-machine-interface default-domain:k8s-x:k8s__x__a");
    assertThat(cluster.kv.revision()).isEqualTo(revision + 1);
    assertThat(after.modRevision()).isEqualTo(revision + 1);
  }

  @Test
  void aHostNetworkPodHasNoInterfaceToLabel() throws Exception {
    namespace("x", Map.of());
    cluster.createPod("x", "host", Map.of(), true);
    settle();
    assertThat(cluster.store.cache().ownedBy("Pod/x/host")).isEmpty();
  }

  @Test
  void aNamespaceLabelChangeIsOneProjectUpdateAndTouchesNoPod() throws Exception {
    namespace("x", Map.of("team", "a"));
    pod("x", "a", Map.of("pod", "a"));
    settle();
    assertThat(project("x").labels()).isEqualTo(Map.of("team", "a", NAME_LABEL, "x"));

    List<String> changes = recordChanges();
    long revision = cluster.kv.revision();
    namespace("x", Map.of("team", "b"));
    settle();
    assertThat(project("x").labels()).isEqualTo(Map.of("team", "b", NAME_LABEL, "x"));
    assertThat(changes).containsExactly("update project default-domain:k8s-x");
    assertThat(cluster.kv.revision()).isEqualTo(revision + 1);

    // An update that drops the name label (the API server would keep it; its stand-in puts it
    // back a moment later) leaves the project's name tag alone.
    changes.clear();
    cluster
        .client
        .namespaces()
        .withName("x")
        .edit(
            n ->
                new NamespaceBuilder(n)
                    .editMetadata()
                    .withLabels(Map.of("team", "c"))
                    .endMetadata()
                    .build());
    settle();
    await().until(() -> project("x").labels().equals(Map.of("team", "c", NAME_LABEL, "x")));
    settle();
    assertThat(changes).containsExactly("update project default-domain:k8s-x");
  }

  @Test
  void theDefaultNamespacesLabelsAreOnTheClustersProject() throws Exception {
    // The API server stand-in labels the built-in namespaces once it is up.
    await()
        .ignoreExceptions()
        .until(() -> "default".equals(project("default").labels().get(NAME_LABEL)));
    settle();
    List<String> changes = recordChanges();
    namespace("default", Map.of("env", "prod"));
    settle();
    assertThat(project("default").labels()).isEqualTo(Map.of("env", "prod", NAME_LABEL, "default"));
    assertThat(changes).containsExactly("update project default-domain:k8s-default");
    await().until(() -> project("kube-system").labels().equals(Map.of(NAME_LABEL, "kube-system")));
  }

  @Test
  void aRefusedPolicyGetsAnEventAndKeepsWhatItHadWhileAGoodOneConverges() throws Exception {
    namespace("x", Map.of());
    apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: good, namespace: x}
        spec:
          podSelector: {matchLabels: {pod: a}}
          ingress: [{}]
        """);
    apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: bad, namespace: x}
        spec:
          podSelector:
            matchExpressions: [{key: pod, operator: Equals, values: [a]}]
          ingress:
          - from: [{ipBlock: {cidr: 10.0.0.0/33}}]
        """);
    settle();
    assertThat(firewallPolicy("x", "good")).isPresent();
    assertThat(firewallPolicy("x", "bad")).isEmpty();
    await().until(() -> events("x", "bad", NetworkPolicyObjects.INVALID).size() == 1);
    Event event = events("x", "bad", NetworkPolicyObjects.INVALID).get(0);
    assertThat(event.getType()).isEqualTo("Warning");
    assertThat(event.getInvolvedObject().getApiVersion()).isEqualTo("networking.k8s.io/v1");
    assertThat(event.getMessage())
        .startsWith(
            "networkpolicy \"x/bad\" is refused (an earlier version, if any, stays in effect): ")
        .contains("spec.podSelector.matchExpressions[0].operator: unsupported value \"Equals\"")
        .contains("spec.ingress[0].from[0].ipBlock.cidr: \"10.0.0.0/33\" is not a CIDR");
    assertThat(cluster.manager.problems().get("NetworkPolicy/x/bad"))
        .startsWith(NetworkPolicyObjects.INVALID);

    // The good one turned bad keeps its firewall policy as it was.
    FirewallPolicy kept = firewallPolicy("x", "good").orElseThrow();
    apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: good, namespace: x}
        spec:
          podSelector: {matchLabels: {pod: a}}
          ingress:
          - ports: [{port: http, endPort: 90}]
        """);
    settle();
    await().until(() -> events("x", "good", NetworkPolicyObjects.INVALID).size() == 1);
    assertThat(firewallPolicy("x", "good")).contains(kept);

    // Fixed, it converges and its problem clears.
    apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: bad, namespace: x}
        spec:
          podSelector:
            matchExpressions: [{key: pod, operator: NotIn, values: [a]}]
        """);
    settle();
    assertThat(firewallPolicy("x", "bad")).isPresent();
    assertThat(cluster.manager.problems()).doesNotContainKey("NetworkPolicy/x/bad");
  }

  @Test
  void anExceptOutsideItsCidrTakesEffectWithAWarning() throws Exception {
    namespace("x", Map.of());
    apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: block, namespace: x}
        spec:
          podSelector: {}
          ingress:
          - from:
            - ipBlock: {cidr: 10.32.0.0/16, except: [192.168.0.0/24, 10.32.1.0/24]}
        """);
    settle();
    FirewallPolicy fp = firewallPolicy("x", "block").orElseThrow();
    assertThat(fp.ingressRules().get(0).peers().get(0).ipBlock().toString())
        .isEqualTo("10.32.0.0/16 except [10.32.1.0/24]");
    await().until(() -> events("x", "block", NetworkPolicyObjects.EXCEPT_OUTSIDE_CIDR).size() == 1);
    assertThat(events("x", "block", NetworkPolicyObjects.EXCEPT_OUTSIDE_CIDR).get(0).getMessage())
        .contains("192.168.0.0/24 is not inside cidr 10.32.0.0/16, so it excludes nothing");
  }

  @Test
  void aNamedPortNoPodDeclaresIsWarnedAboutAndOneThatIsDeclaredIsNot() throws Exception {
    namespace("x", Map.of("team", "a"));
    pod("x", "a", Map.of("pod", "a"), 80);
    apply(
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: named, namespace: x}
        spec:
          podSelector: {}
          ingress:
          - ports:
            - port: serve-80-tcp
            - port: serve-80-udp
              protocol: UDP
          egress:
          - to: [{namespaceSelector: {matchLabels: {team: a}}}]
            ports: [{port: serve-80-tcp}]
          - to: [{namespaceSelector: {matchLabels: {team: b}}}]
            ports: [{port: serve-80-tcp}]
        """);
    settle();
    FirewallPolicy fp = firewallPolicy("x", "named").orElseThrow();
    assertThat(fp.ingressRules().get(0).ports()).hasSize(2);
    await()
        .until(
            () -> events("x", "named", NetworkPolicyObjects.NAMED_PORT_NOT_DECLARED).size() == 2);
    assertThat(events("x", "named", NetworkPolicyObjects.NAMED_PORT_NOT_DECLARED))
        .extracting(Event::getMessage)
        .containsExactlyInAnyOrder(
            "networkpolicy \"x/named\": spec.ingress[0].ports[1]: no pod in namespace \"x\""
                + " declares a UDP container port named \"serve-80-udp\", so this port matches"
                + " nothing until one does",
            "networkpolicy \"x/named\": spec.egress[1].ports[0]: no pod in a namespace matching"
                + " team=b declares a TCP container port named \"serve-80-tcp\", so this port"
                + " matches nothing until one does");
    assertThat(cluster.manager.problems().get("NetworkPolicy/x/named"))
        .contains("spec.ingress[0].ports[1]")
        .contains("spec.egress[1].ports[0]")
        .doesNotContain("spec.egress[0]");
  }
}
