package dev.weft.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.kube.translate.ClusterObjects;
import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpPrefix;
import dev.weft.model.IpamLink;
import dev.weft.model.ObjectType;
import dev.weft.model.Ref;
import dev.weft.model.Subnet;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.objects.Stored;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class KubeManagerTest {
  private Cluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster = new Cluster(ClusterConfig.defaults());
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  static {
    org.awaitility.Awaitility.setDefaultTimeout(Duration.ofSeconds(20));
    org.awaitility.Awaitility.setDefaultPollInterval(Duration.ofMillis(20));
  }

  private void namespace(String name, Map<String, String> annotations) {
    cluster
        .client
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withAnnotations(annotations)
                .endMetadata()
                .build())
        .createOr(Cluster::updateRetrying);
  }

  private void pod(String ns, String name, Map<String, String> annotations) {
    cluster.createPod(ns, name, annotations, false);
  }

  private Pod get(String ns, String name) {
    return cluster.client.pods().inNamespace(ns).withName(name).get();
  }

  private String networkOf(String ns, String name) {
    Pod p = get(ns, name);
    String status =
        p == null ? null : p.getMetadata().getAnnotations().get(KubeAnnotations.NETWORK_STATUS);
    if (status == null) {
      return null;
    }
    int i = status.indexOf("\"name\":\"") + 8;
    return status.substring(i, status.indexOf('"', i));
  }

  private String podIp(String ns, String name) {
    Pod p = get(ns, name);
    return p == null || p.getStatus() == null ? null : p.getStatus().getPodIP();
  }

  private Set<String> names(ObjectType type) {
    return cluster.store.cache().list(type).stream()
        .map(s -> s.object().fqName().toString())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private List<Event> events(String ns, String involved) {
    return cluster.client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> involved.equals(e.getInvolvedObject().getName()))
        .toList();
  }

  private Set<String> bootstrapNames() {
    return ClusterObjects.desired(cluster.config).stream()
        .map(o -> o.type().singular() + " " + o.fqName())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private Set<String> allNames() {
    Set<String> out = new TreeSet<>();
    for (ObjectType t : ObjectType.values()) {
      cluster.store.cache().list(t).forEach(s -> out.add(t.singular() + " " + s.object().fqName()));
    }
    return out;
  }

  @Test
  void bootstrapCreatesTheClusterObjects() {
    await().until(() -> names(ObjectType.VIRTUAL_NETWORK).size() == 2);
    assertThat(names(ObjectType.VIRTUAL_NETWORK))
        .containsExactly(
            "default-domain:k8s-default:k8s-default-pod-network",
            "default-domain:k8s-default:k8s-default-service-network");
    await().until(() -> allNames().containsAll(bootstrapNames()));
  }

  @Test
  void everyNodeHasAVirtualRouterWithItsAddress() {
    await().until(() -> names(ObjectType.VIRTUAL_ROUTER).size() == 2);
    assertThat(names(ObjectType.VIRTUAL_ROUTER))
        .containsExactly(
            "default-global-system-config:node-1", "default-global-system-config:node-2");
    assertThat(
            cluster
                .store
                .cache()
                .<dev.weft.model.VirtualRouter>list(ObjectType.VIRTUAL_ROUTER)
                .stream()
                .map(s -> s.object().ipAddress())
                .sorted())
        .containsExactly("10.64.0.11", "10.64.0.12");
    cluster.client.nodes().withName("node-2").delete();
    await().until(() -> names(ObjectType.VIRTUAL_ROUTER).size() == 1);
  }

  @Test
  void podGetsAnInterfaceAnAddressInThePodSubnetAndTheNetworkStatusAnnotation() {
    pod("default", "web-1", Map.of());
    await().until(() -> podIp("default", "web-1") != null);
    String ip = podIp("default", "web-1");
    assertThat(IpPrefix.parse("10.32.0.0/12").contains(ip)).isTrue();
    assertThat(networkOf("default", "web-1"))
        .isEqualTo("default-domain:k8s-default:k8s-default-pod-network");
    Pod p = get("default", "web-1");
    assertThat(p.getSpec().getNodeName()).isIn("node-1", "node-2");
    assertThat(p.getStatus().getPhase()).isEqualTo("Running");
    UUID uid = UUID.fromString(p.getMetadata().getUid());
    assertThat(cluster.store.cache().get(ObjectType.VIRTUAL_MACHINE, uid)).isPresent();
    assertThat(names(ObjectType.VIRTUAL_MACHINE)).containsExactly("k8s__default__web-1");
    List<Stored<InstanceIp>> ips = cluster.store.cache().list(ObjectType.INSTANCE_IP);
    assertThat(ips).extracting(s -> s.object().address()).containsExactly(ip);
  }

  @Test
  void hostNetworkPodsAreLeftToTheNode() {
    cluster.createPod("default", "host", Map.of(), true);
    pod("default", "normal", Map.of());
    await().until(() -> podIp("default", "normal") != null && podIp("default", "host") != null);
    assertThat(podIp("default", "host")).startsWith("10.64.0.");
    assertThat(names(ObjectType.VIRTUAL_MACHINE)).containsExactly("k8s__default__normal");
  }

  @Test
  void isolatedNamespacePodsGetTheNamespaceNetworkAndMoveWhenIsolationIsRemoved() {
    namespace("ns-isolated", Map.of(KubeAnnotations.ISOLATION, "true"));
    pod("ns-isolated", "a", Map.of());
    await()
        .until(
            () ->
                "default-domain:k8s-ns-isolated:k8s-ns-isolated-pod-network"
                    .equals(networkOf("ns-isolated", "a")));
    assertThat(names(ObjectType.VIRTUAL_NETWORK))
        .contains(
            "default-domain:k8s-ns-isolated:k8s-ns-isolated-pod-network",
            "default-domain:k8s-ns-isolated:k8s-ns-isolated-service-network");
    // Isolated pod networks share the flat pod subnet. (The kubelet stand-in writes the pod IP
    // after Weft's annotation: wait for it.)
    await().until(() -> podIp("ns-isolated", "a") != null);
    assertThat(IpPrefix.parse("10.32.0.0/12").contains(podIp("ns-isolated", "a"))).isTrue();

    namespace("ns-isolated", Map.of());
    await()
        .until(
            () ->
                "default-domain:k8s-default:k8s-default-pod-network"
                    .equals(networkOf("ns-isolated", "a")));
    await().until(() -> names(ObjectType.VIRTUAL_NETWORK).size() == 2);
    assertThat(names(ObjectType.NETWORK_POLICY))
        .containsExactly("default-domain:k8s-default:k8s-default-pod-service-np");
  }

  @Test
  void customNetworkThatDoesNotExistYetGivesAnEventAndThePodIsPlacedOnceItExists() {
    String annotation =
        "{\"domain\":\"default-domain\",\"project\":\"k8s-default\",\"name\":\"vn-left-1\"}";
    pod("default", "left", Map.of(KubeAnnotations.NETWORK, annotation));
    pod("default", "other", Map.of());
    await().until(() -> podIp("default", "other") != null);
    await()
        .until(
            () ->
                events("default", "left").stream()
                    .anyMatch(e -> "NetworkNotFound".equals(e.getReason())));
    Event e = events("default", "left").get(0);
    assertThat(e.getType()).isEqualTo("Warning");
    assertThat(e.getMessage())
        .contains("network default-domain:k8s-default:vn-left-1 does not exist");
    assertThat(names(ObjectType.VIRTUAL_MACHINE)).doesNotContain("k8s__default__left");

    createUserNetwork("vn-left-1", "10.200.1.0/24");
    await().until(() -> podIp("default", "left") != null);
    assertThat(podIp("default", "left")).startsWith("10.200.1.");
    assertThat(networkOf("default", "left")).isEqualTo("default-domain:k8s-default:vn-left-1");
  }

  private void createUserNetwork(String name, String cidr) {
    Stored<ConfigObject> ipam =
        cluster
            .store
            .cache()
            .get(ObjectType.NETWORK_IPAM, ClusterObjects.DEFAULT_IPAM)
            .orElseThrow();
    Stored<ConfigObject> project =
        cluster
            .store
            .cache()
            .get(ObjectType.PROJECT, FqName.parse("default-domain:k8s-default"))
            .orElseThrow();
    FqName fq = project.object().fqName().child(name);
    cluster.store.commit(
        cluster
            .store
            .begin()
            .create(
                new VirtualNetwork(
                    UUID.randomUUID(),
                    fq,
                    Ref.to(project.object()),
                    Map.of(),
                    List.of(new IpamLink(Ref.to(ipam.object()), List.of(Subnet.of(cidr)))),
                    List.of(),
                    List.of())));
  }

  @Test
  void badNamespaceAnnotationGivesAnEventAndOtherNamespacesCarryOn() {
    namespace("bad", Map.of(KubeAnnotations.ISOLATION, "yes"));
    namespace("good", Map.of(KubeAnnotations.ISOLATION, "true"));
    pod("good", "p", Map.of());
    await().until(() -> podIp("good", "p") != null);
    await()
        .until(
            () ->
                events("default", "bad").stream()
                    .anyMatch(e -> "InvalidAnnotation".equals(e.getReason())));
    assertThat(events("default", "bad").get(0).getMessage())
        .isEqualTo(
            "namespace \"bad\": annotation opencontrail.org/isolation: expected \"true\" or \"false\", found \"yes\"");
    // Fixing the annotation is picked up without a restart.
    namespace("bad", Map.of(KubeAnnotations.ISOLATION, "true"));
    await()
        .until(
            () ->
                names(ObjectType.VIRTUAL_NETWORK)
                    .contains("default-domain:k8s-bad:k8s-bad-pod-network"));
  }

  @Test
  void deletingEverythingReturnsTheStoreToTheBootstrapObjects() {
    // The baseline: the cluster's objects plus those of the built-in namespaces and the nodes
    // (their keys are reconciled in parallel with the namespaces', so they may come last).
    await()
        .until(
            () ->
                allNames().containsAll(bootstrapNames())
                    && names(ObjectType.SECURITY_GROUP).size() == 3
                    && names(ObjectType.VIRTUAL_ROUTER).size() == 2);
    Set<String> baseline = allNames();
    namespace("ns-a", Map.of(KubeAnnotations.ISOLATION, "true"));
    namespace("ns-b", Map.of());
    for (int i = 0; i < 5; i++) {
      pod("ns-a", "p" + i, Map.of());
      pod("ns-b", "p" + i, Map.of());
      pod("default", "p" + i, Map.of());
    }
    await().until(() -> names(ObjectType.VIRTUAL_MACHINE).size() == 15);
    cluster.client.namespaces().withName("ns-a").delete();
    cluster.client.namespaces().withName("ns-b").delete();
    cluster.client.pods().inNamespace("default").delete();
    await().untilAsserted(() -> assertThat(allNames()).isEqualTo(baseline));
    assertThat(cluster.kv.range(dev.weft.store.ipam.Ipam.PREFIX).kvs()).isEmpty();
  }

  @Test
  void restartCollectsOrphansAndKeepsSurvivingAddresses() throws Exception {
    for (int i = 0; i < 4; i++) {
      pod("default", "p" + i, Map.of());
    }
    await().until(() -> names(ObjectType.INSTANCE_IP).size() == 4);
    await().until(() -> podIp("default", "p3") != null);
    Map<String, String> before = Map.of("p0", podIp("default", "p0"), "p1", podIp("default", "p1"));
    cluster.stopManager();
    cluster.client.pods().inNamespace("default").withName("p2").delete();
    cluster.client.pods().inNamespace("default").withName("p3").delete();
    pod("default", "p4", Map.of());
    cluster.startManager();
    await()
        .until(
            () ->
                names(ObjectType.VIRTUAL_MACHINE)
                    .equals(Set.of("k8s__default__p0", "k8s__default__p1", "k8s__default__p4")));
    assertThat(podIp("default", "p0")).isEqualTo(before.get("p0"));
    assertThat(podIp("default", "p1")).isEqualTo(before.get("p1"));
    await().until(() -> podIp("default", "p4") != null);
    Set<String> addresses = new HashSet<>();
    cluster
        .store
        .cache()
        .<InstanceIp>list(ObjectType.INSTANCE_IP)
        .forEach(s -> addresses.add(s.object().address()));
    assertThat(addresses).hasSize(3);
    assertThat(cluster.kv.range(dev.weft.store.ipam.Ipam.PREFIX).kvs()).hasSize(3);
  }

  @Test
  void podRecreatedUnderTheSameNameGetsNewObjects() {
    pod("default", "web", Map.of());
    await().until(() -> podIp("default", "web") != null);
    UUID first = UUID.fromString(get("default", "web").getMetadata().getUid());
    cluster.client.pods().inNamespace("default").withName("web").delete();
    await().until(() -> get("default", "web") == null);
    pod("default", "web", Map.of());
    UUID second = UUID.fromString(get("default", "web").getMetadata().getUid());
    assertThat(second).isNotEqualTo(first);
    await().until(() -> cluster.store.cache().get(ObjectType.VIRTUAL_MACHINE, second).isPresent());
    await().until(() -> cluster.store.cache().get(ObjectType.VIRTUAL_MACHINE, first).isEmpty());
    assertThat(names(ObjectType.VIRTUAL_MACHINE_INTERFACE))
        .containsExactly("default-domain:k8s-default:k8s__default__web");
    List<Stored<VirtualMachineInterface>> vmis =
        cluster.store.cache().list(ObjectType.VIRTUAL_MACHINE_INTERFACE);
    assertThat(vmis.get(0).object().virtualMachine().uuid()).isEqualTo(second);
  }
}
