package dev.weft.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.kube.translate.EndpointSliceInfo;
import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.kube.translate.Uuids;
import dev.weft.model.ConfigObject;
import dev.weft.model.InstanceIp;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerMember;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.ObjectType;
import dev.weft.model.Ref;
import dev.weft.store.ipam.Ipam;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Services become load balancers: component tests against the embedded API and a real store.
 * Services here have no selector and the tests write their EndpointSlices, as a user managing
 * endpoints would (and as the EndpointSlice controller does for services with selectors).
 */
class ServiceTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final String SERVICE_POOL = "default-domain:k8s-default:k8s-service-ipam";
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

  private void namespace(String name, Map<String, String> annotations) {
    cluster
        .client
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withAnnotations(annotations)
                // The API server keeps this label on every namespace, whatever an update says;
                // without it, the update would be a label change (the project's tags).
                .addToLabels("kubernetes.io/metadata.name", name)
                .endMetadata()
                .build())
        .createOr(Cluster::updateRetrying);
  }

  /** A running pod with its address. */
  private Pod pod(String ns, String name, Map<String, String> annotations) {
    cluster.createPod(ns, name, annotations, false);
    await().until(() -> podIp(ns, name) != null);
    return cluster.client.pods().inNamespace(ns).withName(name).get();
  }

  private String podIp(String ns, String name) {
    Pod p = cluster.client.pods().inNamespace(ns).withName(name).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getPodIP();
  }

  private static ServicePort port(String name, String protocol, int port) {
    return new ServicePortBuilder()
        .withName(name)
        .withProtocol(protocol)
        .withPort(port)
        .withNewTargetPort(port + 8000)
        .build();
  }

  /** Creates or replaces a ClusterIP service without a selector. */
  private io.fabric8.kubernetes.api.model.Service service(
      String ns, String name, String clusterIp, ServicePort... ports) {
    return cluster
        .client
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .withNewSpec()
                .withType("ClusterIP")
                .withClusterIP(clusterIp)
                .withClusterIPs(clusterIp)
                .withPorts(ports)
                .endSpec()
                .build())
        .createOr(Cluster::updateRetrying);
  }

  private static EndpointPort slicePort(String name, String protocol, int port) {
    return new EndpointPortBuilder().withName(name).withProtocol(protocol).withPort(port).build();
  }

  private static Endpoint endpoint(String address, boolean ready, String pod) {
    EndpointBuilder b =
        new EndpointBuilder()
            .withAddresses(address)
            .withNewConditions()
            .withReady(ready)
            .endConditions();
    if (pod != null) {
      b.withNewTargetRef().withKind("Pod").withName(pod).endTargetRef();
    }
    return b.build();
  }

  /** Creates or replaces an IPv4 EndpointSlice of {@code service}. */
  private void slice(
      String ns, String name, String service, List<EndpointPort> ports, List<Endpoint> endpoints) {
    cluster
        .client
        .resource(
            new EndpointSliceBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .addToLabels(EndpointSliceInfo.SERVICE_NAME, service)
                .endMetadata()
                .withAddressType("IPv4")
                .withPorts(ports)
                .withEndpoints(endpoints)
                .build())
        .createOr(Cluster::updateRetrying);
  }

  /** Ready endpoints for pods, by name. */
  private List<Endpoint> ready(String ns, String... pods) {
    return Arrays.stream(pods).map(p -> endpoint(podIp(ns, p), true, p)).toList();
  }

  private void settle() throws InterruptedException {
    Processed p = cluster.manager.awaitProcessed(TIMEOUT);
    assertThat(p.reached()).as(p.describe()).isTrue();
  }

  private List<Event> events(String ns, String involved, String reason) {
    return cluster.client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> involved.equals(e.getInvolvedObject().getName()))
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  // --- Weft side ----------------------------------------------------------------------------

  private <T extends ConfigObject> List<T> owned(String ns, String svc, Class<T> type) {
    return cluster.store.cache().ownedBy("Service/" + ns + "/" + svc).stream()
        .map(s -> s.object())
        .filter(type::isInstance)
        .map(type::cast)
        .toList();
  }

  private Loadbalancer loadbalancer(String ns, String svc) {
    List<Loadbalancer> lbs = owned(ns, svc, Loadbalancer.class);
    assertThat(lbs).hasSize(1);
    return lbs.get(0);
  }

  /** Members as {@code listener-name address:port -> interface name (or -)}. */
  private Set<String> members(String ns, String svc) {
    return owned(ns, svc, LoadbalancerMember.class).stream()
        .map(
            m ->
                m.parent().to().name()
                    + " "
                    + m.address()
                    + ":"
                    + m.port()
                    + " -> "
                    + (m.virtualMachineInterface() == null
                        ? "-"
                        : m.virtualMachineInterface().to().name()))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private Set<String> listeners(String ns, String svc) {
    return owned(ns, svc, LoadbalancerListener.class).stream()
        .map(l -> l.fqName().name())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private Set<String> pools(String ns, String svc) {
    return owned(ns, svc, LoadbalancerPool.class).stream()
        .map(p -> p.fqName().name() + " " + p.protocol() + " " + p.method())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private boolean reserved(String address) {
    return cluster.kv.get(Ipam.key(SERVICE_POOL, address)).isPresent();
  }

  private Set<String> types(ObjectType... types) {
    Set<String> out = new TreeSet<>();
    for (ObjectType t : types) {
      cluster.store.cache().list(t).forEach(s -> out.add(t.singular() + " " + s.object().fqName()));
    }
    return out;
  }

  private static final ObjectType[] LB_TYPES = {
    ObjectType.LOADBALANCER,
    ObjectType.LOADBALANCER_LISTENER,
    ObjectType.LOADBALANCER_POOL,
    ObjectType.LOADBALANCER_MEMBER
  };

  // --- behaviour ----------------------------------------------------------------------------

  @Test
  void aServiceWithThreeReadyBackendsIsALoadBalancerWithAMemberOnEachPodInterface()
      throws Exception {
    List<Pod> pods =
        List.of(
            pod("default", "web-1", Map.of()),
            pod("default", "web-2", Map.of()),
            pod("default", "web-3", Map.of()));
    var svc = service("default", "web", "10.96.0.20", port("http", "TCP", 80));
    slice(
        "default",
        "web-abc",
        "web",
        List.of(slicePort("http", "TCP", 8080)),
        ready("default", "web-1", "web-2", "web-3"));
    settle();

    Loadbalancer lb = loadbalancer("default", "web");
    assertThat(lb.uuid()).isEqualTo(UUID.fromString(svc.getMetadata().getUid()));
    assertThat(lb.fqName().toString()).isEqualTo("default-domain:k8s-default:k8s__default__web");
    assertThat(lb.provider()).isEqualTo("native");
    assertThat(lb.vipAddress()).isEqualTo("10.96.0.20");
    assertThat(lb.vipNetwork().to().toString())
        .isEqualTo("default-domain:k8s-default:k8s-default-service-network");
    InstanceIp vip = owned("default", "web", InstanceIp.class).get(0);
    assertThat(vip.address()).isEqualTo("10.96.0.20");
    assertThat(vip.serviceIp()).isTrue();
    assertThat(vip.interfaces()).isEmpty();
    assertThat(vip.pool()).isEqualTo(SERVICE_POOL);
    assertThat(lb.vipInstanceIps()).containsExactly(Ref.to(vip));
    assertThat(reserved("10.96.0.20")).isTrue();

    assertThat(listeners("default", "web")).containsExactly("k8s__default__web__TCP-80");
    assertThat(pools("default", "web")).containsExactly("k8s__default__web__TCP-80 TCP ecmp");
    List<LoadbalancerMember> members = owned("default", "web", LoadbalancerMember.class);
    assertThat(members).hasSize(3);
    for (Pod p : pods) {
      UUID vmi = Uuids.of("virtual-machine-interface", p.getMetadata().getUid());
      assertThat(cluster.store.cache().get(ObjectType.VIRTUAL_MACHINE_INTERFACE, vmi)).isPresent();
      assertThat(members)
          .filteredOn(m -> m.address().equals(p.getStatus().getPodIP()))
          .singleElement()
          .satisfies(
              m -> {
                assertThat(m.port()).isEqualTo(8080);
                assertThat(m.virtualMachineInterface().uuid()).isEqualTo(vmi);
              });
    }

    // Reconciling again (a namespace annotation change re-queues its services) writes nothing.
    long revision = cluster.kv.revision();
    namespace("default", Map.of("example.com/note", "unrelated"));
    settle();
    assertThat(cluster.kv.revision()).isEqualTo(revision);
  }

  @Test
  void tcpUdpAndSctpPortsEachGetTheirOwnListenerAndPool() throws Exception {
    pod("default", "dns-1", Map.of());
    service(
        "default",
        "dns",
        "10.96.0.10",
        port("dns-tcp", "TCP", 53),
        port("dns", "UDP", 53),
        port("sig", "SCTP", 3868));
    slice(
        "default",
        "dns-1",
        "dns",
        List.of(
            slicePort("dns", "UDP", 5353),
            slicePort("dns-tcp", "TCP", 5353),
            slicePort("sig", "SCTP", 3869)),
        ready("default", "dns-1"));
    settle();
    assertThat(pools("default", "dns"))
        .containsExactly(
            "k8s__default__dns__SCTP-3868 SCTP ecmp",
            "k8s__default__dns__TCP-53 TCP ecmp",
            "k8s__default__dns__UDP-53 UDP ecmp");
    String ip = podIp("default", "dns-1");
    assertThat(members("default", "dns"))
        .containsExactly(
            "k8s__default__dns__SCTP-3868 " + ip + ":3869 -> k8s__default__dns-1",
            "k8s__default__dns__TCP-53 " + ip + ":5353 -> k8s__default__dns-1",
            "k8s__default__dns__UDP-53 " + ip + ":5353 -> k8s__default__dns-1");
  }

  @Test
  void unreadyEndpointsAreNotMembers() throws Exception {
    pod("default", "a", Map.of());
    pod("default", "b", Map.of());
    service("default", "web", "10.96.0.21", port("", "TCP", 80));
    slice(
        "default",
        "web-1",
        "web",
        List.of(slicePort("", "TCP", 8080)),
        List.of(
            endpoint(podIp("default", "a"), true, "a"),
            endpoint(podIp("default", "b"), false, "b")));
    settle();
    assertThat(members("default", "web"))
        .containsExactly(
            "k8s__default__web__TCP-80 " + podIp("default", "a") + ":8080 -> k8s__default__a");

    // b becomes ready, a stops being ready.
    slice(
        "default",
        "web-1",
        "web",
        List.of(slicePort("", "TCP", 8080)),
        List.of(
            endpoint(podIp("default", "a"), false, "a"),
            endpoint(podIp("default", "b"), true, "b")));
    settle();
    assertThat(members("default", "web"))
        .containsExactly(
            "k8s__default__web__TCP-80 " + podIp("default", "b") + ":8080 -> k8s__default__b");
  }

  @Test
  void scalingThreeToFiveToZeroAddsAndRemovesExactlyTheChangedMembers() throws Exception {
    for (int i = 1; i <= 5; i++) {
      pod("default", "w" + i, Map.of());
    }
    service("default", "web", "10.96.0.22", port("http", "TCP", 80));
    List<EndpointPort> ports = List.of(slicePort("http", "TCP", 8080));
    slice("default", "web-a", "web", ports, ready("default", "w1", "w2", "w3"));
    settle();
    assertThat(members("default", "web")).hasSize(3);
    Set<UUID> three =
        owned("default", "web", LoadbalancerMember.class).stream()
            .map(ConfigObject::uuid)
            .collect(Collectors.toSet());

    // Five backends over two slices, as the EndpointSlice controller splits large services.
    slice("default", "web-a", "web", ports, ready("default", "w1", "w2", "w3"));
    slice("default", "web-b", "web", ports, ready("default", "w4", "w5"));
    settle();
    assertThat(members("default", "web")).hasSize(5);
    assertThat(
            owned("default", "web", LoadbalancerMember.class).stream()
                .map(ConfigObject::uuid)
                .collect(Collectors.toSet()))
        .containsAll(three);

    slice("default", "web-a", "web", ports, List.of());
    cluster
        .client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace("default")
        .withName("web-b")
        .delete();
    settle();
    assertThat(members("default", "web")).isEmpty();
    // The service itself stays: VIP, listener and pool, ready for backends to come back.
    assertThat(listeners("default", "web")).containsExactly("k8s__default__web__TCP-80");
    assertThat(owned("default", "web", Loadbalancer.class)).hasSize(1);
  }

  @Test
  void aRemovedPortTakesItsListenerPoolAndMembersAndNothingElse() throws Exception {
    pod("default", "a", Map.of());
    service("default", "web", "10.96.0.23", port("http", "TCP", 80), port("https", "TCP", 443));
    List<EndpointPort> ports =
        List.of(slicePort("http", "TCP", 8080), slicePort("https", "TCP", 8443));
    slice("default", "web-a", "web", ports, ready("default", "a"));
    settle();
    assertThat(listeners("default", "web"))
        .containsExactly("k8s__default__web__TCP-443", "k8s__default__web__TCP-80");
    UUID lb = loadbalancer("default", "web").uuid();
    Set<String> http =
        owned("default", "web", ConfigObject.class).stream()
            .filter(o -> o.fqName().toString().contains("TCP-80"))
            .map(o -> o.uuid() + " " + o.fqName())
            .collect(Collectors.toSet());

    service("default", "web", "10.96.0.23", port("http", "TCP", 80));
    slice(
        "default", "web-a", "web", List.of(slicePort("http", "TCP", 8080)), ready("default", "a"));
    settle();
    assertThat(listeners("default", "web")).containsExactly("k8s__default__web__TCP-80");
    assertThat(pools("default", "web")).containsExactly("k8s__default__web__TCP-80 TCP ecmp");
    assertThat(members("default", "web"))
        .containsExactly(
            "k8s__default__web__TCP-80 " + podIp("default", "a") + ":8080 -> k8s__default__a");
    assertThat(loadbalancer("default", "web").uuid()).isEqualTo(lb);
    // The port that stayed kept its objects, UUIDs and all.
    assertThat(
            owned("default", "web", ConfigObject.class).stream()
                .filter(o -> o.fqName().toString().contains("TCP-80"))
                .map(o -> o.uuid() + " " + o.fqName())
                .collect(Collectors.toSet()))
        .isEqualTo(http);
    assertThat(types(LB_TYPES)).noneMatch(n -> n.contains("TCP-443"));

    // A changed target port replaces the members of that port only.
    slice(
        "default", "web-a", "web", List.of(slicePort("http", "TCP", 9090)), ready("default", "a"));
    settle();
    assertThat(members("default", "web"))
        .containsExactly(
            "k8s__default__web__TCP-80 " + podIp("default", "a") + ":9090 -> k8s__default__a");
  }

  @Test
  void aServiceRecreatedUnderANewUidReplacesItsObjectsAndKeepsItsClusterIp() throws Exception {
    pod("default", "a", Map.of());
    var first = service("default", "web", "10.96.0.24", port("", "TCP", 80));
    slice("default", "web-a", "web", List.of(slicePort("", "TCP", 8080)), ready("default", "a"));
    settle();
    UUID firstUid = UUID.fromString(first.getMetadata().getUid());
    assertThat(loadbalancer("default", "web").uuid()).isEqualTo(firstUid);
    Set<UUID> firstObjects =
        owned("default", "web", ConfigObject.class).stream()
            .map(ConfigObject::uuid)
            .collect(Collectors.toSet());

    cluster.client.services().inNamespace("default").withName("web").delete();
    await()
        .until(
            () -> cluster.client.services().inNamespace("default").withName("web").get() == null);
    var second = service("default", "web", "10.96.0.24", port("", "TCP", 80));
    UUID secondUid = UUID.fromString(second.getMetadata().getUid());
    assertThat(secondUid).isNotEqualTo(firstUid);
    settle();
    assertThat(loadbalancer("default", "web").uuid()).isEqualTo(secondUid);
    assertThat(owned("default", "web", ConfigObject.class))
        .hasSize(5) // VIP, load balancer, listener, pool, member
        .noneMatch(o -> firstObjects.contains(o.uuid()));
    assertThat(types(LB_TYPES)).hasSize(4);
    assertThat(owned("default", "web", InstanceIp.class).get(0).address()).isEqualTo("10.96.0.24");
    assertThat(reserved("10.96.0.24")).isTrue();

    // Recreated again with another cluster IP: the old one is released.
    cluster.client.services().inNamespace("default").withName("web").delete();
    await()
        .until(
            () -> cluster.client.services().inNamespace("default").withName("web").get() == null);
    service("default", "web", "10.96.0.25", port("", "TCP", 80));
    settle();
    assertThat(loadbalancer("default", "web").vipAddress()).isEqualTo("10.96.0.25");
    assertThat(reserved("10.96.0.25")).isTrue();
    assertThat(reserved("10.96.0.24")).isFalse();

    cluster.client.services().inNamespace("default").withName("web").delete();
    settle();
    assertThat(owned("default", "web", ConfigObject.class)).isEmpty();
    assertThat(reserved("10.96.0.25")).isFalse();
  }

  @Test
  void headlessAndExternalNameServicesGetNothing() throws Exception {
    pod("default", "a", Map.of());
    service("default", "headless", "None", port("", "TCP", 80));
    cluster
        .client
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("alias")
                .withNamespace("default")
                .endMetadata()
                .withNewSpec()
                .withType("ExternalName")
                .withExternalName("example.com")
                .endSpec()
                .build())
        .create();
    slice(
        "default",
        "headless-a",
        "headless",
        List.of(slicePort("", "TCP", 80)),
        ready("default", "a"));
    service("default", "normal", "10.96.0.26", port("", "TCP", 80));
    settle();
    assertThat(owned("default", "headless", ConfigObject.class)).isEmpty();
    assertThat(owned("default", "alias", ConfigObject.class)).isEmpty();
    assertThat(owned("default", "normal", Loadbalancer.class)).hasSize(1);
    assertThat(cluster.manager.problems()).isEmpty();
  }

  @Test
  void aClusterIpOutsideTheServiceSubnetIsAnEventAndNothingIsWrittenWhileOthersCarryOn()
      throws Exception {
    service("default", "bad", "192.168.7.7", port("", "TCP", 80));
    service("default", "good", "10.96.0.27", port("", "TCP", 80));
    settle();
    await().until(() -> !events("default", "bad", "InvalidClusterIP").isEmpty());
    assertThat(events("default", "bad", "InvalidClusterIP").get(0).getMessage())
        .contains(
            "service \"default/bad\": clusterIP 192.168.7.7 is outside the service subnets [10.96.0.0/12]");
    assertThat(owned("default", "bad", ConfigObject.class)).isEmpty();
    assertThat(cluster.manager.problems()).containsKey("Service/default/bad");
    assertThat(owned("default", "good", Loadbalancer.class)).hasSize(1);

    // The network address of the range is no VIP either; the first address is (it is the
    // "kubernetes" service's).
    service("default", "net", "10.96.0.0", port("", "TCP", 80));
    service("kube-system", "kubernetes", "10.96.0.1", port("https", "TCP", 443));
    settle();
    await().until(() -> !events("default", "net", "InvalidClusterIP").isEmpty());
    assertThat(owned("default", "net", ConfigObject.class)).isEmpty();
    assertThat(loadbalancer("kube-system", "kubernetes").vipAddress()).isEqualTo("10.96.0.1");
    assertThat(loadbalancer("kube-system", "kubernetes").fqName().toString())
        .isEqualTo("default-domain:k8s-kube-system:k8s__kube-system__kubernetes");
  }

  @Test
  void aClusterIpHeldByAnotherServiceIsAnEventUntilThatServiceLetsGo() throws Exception {
    service("default", "first", "10.96.0.28", port("", "TCP", 80));
    settle();
    service("default", "second", "10.96.0.28", port("", "TCP", 80));
    settle();
    await().until(() -> !events("default", "second", "ClusterIPInUse").isEmpty());
    assertThat(events("default", "second", "ClusterIPInUse").get(0).getMessage())
        .contains("clusterIP 10.96.0.28 is already held by Kubernetes Service \"default/first\"");
    assertThat(owned("default", "second", ConfigObject.class)).isEmpty();

    cluster.client.services().inNamespace("default").withName("first").delete();
    settle();
    assertThat(loadbalancer("default", "second").vipAddress()).isEqualTo("10.96.0.28");
    assertThat(cluster.manager.problems()).doesNotContainKey("Service/default/second");
  }

  @Test
  void theVipAddressIsReservedSoNoPodCanBeGivenIt() throws Exception {
    service("default", "web", "10.96.0.29", port("", "TCP", 80));
    settle();
    assertThat(reserved("10.96.0.29")).isTrue();
    // A pod put on the service network, asking for the VIP.
    cluster.createPod(
        "default",
        "thief",
        Map.of(
            KubeAnnotations.NETWORK,
            "{\"domain\":\"default-domain\",\"project\":\"k8s-default\","
                + "\"name\":\"k8s-default-service-network\"}",
            KubeAnnotations.IP_ADDRESS,
            "10.96.0.29"),
        false);
    settle();
    await().until(() -> !events("default", "thief", "AddressUnavailable").isEmpty());
    assertThat(events("default", "thief", "AddressUnavailable").get(0).getMessage())
        .contains("10.96.0.29")
        .contains("already in use");
    assertThat(
            cluster.store.cache().<InstanceIp>list(ObjectType.INSTANCE_IP).stream()
                .filter(s -> s.object().address().equals("10.96.0.29")))
        .hasSize(1);
  }

  @Test
  void anIsolatedNamespacesVipIsInItsOwnServiceNetworkAndMovesWhenIsolationIsRemoved()
      throws Exception {
    namespace("shop", Map.of(KubeAnnotations.ISOLATION, "true"));
    pod("shop", "a", Map.of());
    service("shop", "web", "10.96.0.30", port("", "TCP", 80));
    slice("shop", "web-a", "web", List.of(slicePort("", "TCP", 8080)), ready("shop", "a"));
    settle();
    Loadbalancer lb = loadbalancer("shop", "web");
    assertThat(lb.vipNetwork().to().toString())
        .isEqualTo("default-domain:k8s-shop:k8s-shop-service-network");
    assertThat(lb.fqName().toString()).isEqualTo("default-domain:k8s-shop:k8s__shop__web");
    assertThat(owned("shop", "web", InstanceIp.class).get(0).virtualNetwork().to().name())
        .isEqualTo("k8s-shop-service-network");
    assertThat(members("shop", "web"))
        .containsExactly("k8s__shop__web__TCP-80 " + podIp("shop", "a") + ":8080 -> k8s__shop__a");

    namespace("shop", Map.of());
    settle();
    lb = loadbalancer("shop", "web");
    assertThat(lb.vipNetwork().to().toString())
        .isEqualTo("default-domain:k8s-default:k8s-default-service-network");
    assertThat(lb.vipAddress()).isEqualTo("10.96.0.30");
    InstanceIp vip = owned("shop", "web", InstanceIp.class).get(0);
    assertThat(vip.virtualNetwork().to().name()).isEqualTo("k8s-default-service-network");
    assertThat(reserved("10.96.0.30")).isTrue();
    // The isolated networks go once nothing uses them.
    await()
        .until(
            () ->
                cluster.store.cache().list(ObjectType.VIRTUAL_NETWORK).stream()
                    .noneMatch(s -> s.object().fqName().toString().contains("k8s-shop-")));

    namespace("shop", Map.of(KubeAnnotations.ISOLATION, "true"));
    settle();
    assertThat(loadbalancer("shop", "web").vipNetwork().to().name())
        .isEqualTo("k8s-shop-service-network");
  }

  @Test
  void aBackendGetsItsInterfaceWhenItsPodGetsTheAddressAndLosesItWhenThePodGoes() throws Exception {
    service("default", "web", "10.96.0.31", port("", "TCP", 80));
    // Endpoints written before the pod has its address, as a user managing endpoints might.
    slice(
        "default",
        "web-a",
        "web",
        List.of(slicePort("", "TCP", 8080)),
        List.of(endpoint("10.32.9.9", true, null)));
    settle();
    assertThat(members("default", "web"))
        .containsExactly("k8s__default__web__TCP-80 10.32.9.9:8080 -> -");

    pod("default", "late", Map.of(KubeAnnotations.IP_ADDRESS, "10.32.9.9"));
    settle();
    assertThat(members("default", "web"))
        .containsExactly("k8s__default__web__TCP-80 10.32.9.9:8080 -> k8s__default__late");

    // The pod goes while the slice still names its address: the member lets go of the interface,
    // and the pod's objects all go.
    cluster.client.pods().inNamespace("default").withName("late").delete();
    settle();
    assertThat(members("default", "web"))
        .containsExactly("k8s__default__web__TCP-80 10.32.9.9:8080 -> -");
    assertThat(cluster.store.cache().count(ObjectType.VIRTUAL_MACHINE_INTERFACE)).isZero();
    assertThat(cluster.store.cache().count(ObjectType.VIRTUAL_MACHINE)).isZero();
  }

  @Test
  void aRestartCollectsTheObjectsOfServicesDeletedWhileWeftWasDown() throws Exception {
    service("default", "gone", "10.96.0.32", port("", "TCP", 80));
    service("default", "kept", "10.96.0.33", port("", "TCP", 80));
    settle();
    List<String> keptBefore =
        new ArrayList<>(
            owned("default", "kept", ConfigObject.class).stream().map(Object::toString).toList());
    cluster.stopManager();
    cluster.client.services().inNamespace("default").withName("gone").delete();
    cluster.startManager();
    settle();
    assertThat(owned("default", "gone", ConfigObject.class)).isEmpty();
    assertThat(reserved("10.96.0.32")).isFalse();
    assertThat(owned("default", "kept", ConfigObject.class).stream().map(Object::toString).toList())
        .containsExactlyInAnyOrderElementsOf(keptBefore);
  }

  @Test
  void aServiceRecreatedWhileWeftWasDownPassesItsClusterIpOnInOneTransaction() throws Exception {
    var first = service("default", "web", "10.96.0.34", port("", "TCP", 80));
    settle();
    cluster.stopManager();
    cluster.client.services().inNamespace("default").withName("web").delete();
    await()
        .until(
            () -> cluster.client.services().inNamespace("default").withName("web").get() == null);
    var second = service("default", "web", "10.96.0.34", port("", "TCP", 80));
    cluster.startManager();
    settle();
    assertThat(loadbalancer("default", "web").uuid())
        .isEqualTo(UUID.fromString(second.getMetadata().getUid()))
        .isNotEqualTo(UUID.fromString(first.getMetadata().getUid()));
    assertThat(owned("default", "web", InstanceIp.class))
        .singleElement()
        .satisfies(ip -> assertThat(ip.address()).isEqualTo("10.96.0.34"));
    assertThat(reserved("10.96.0.34")).isTrue();
    assertThat(cluster.manager.problems()).isEmpty();
  }

  @Test
  void aClusterIpMovedToAnotherServiceWhileWeftWasDownIsWaitedForNotReported() throws Exception {
    service("default", "old", "10.96.0.35", port("", "TCP", 80));
    settle();
    cluster.stopManager();
    cluster.client.services().inNamespace("default").withName("old").delete();
    service("default", "new", "10.96.0.35", port("", "TCP", 80));
    cluster.startManager();
    settle();
    assertThat(owned("default", "old", ConfigObject.class)).isEmpty();
    assertThat(loadbalancer("default", "new").vipAddress()).isEqualTo("10.96.0.35");
    assertThat(reserved("10.96.0.35")).isTrue();
    assertThat(events("default", "new", "ClusterIPInUse")).isEmpty();
    assertThat(cluster.manager.problems()).isEmpty();
  }
}
