package dev.weft.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.kube.translate.ClusterObjects;
import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.model.ConfigObject;
import dev.weft.model.FloatingIp;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.FqName;
import dev.weft.model.IpPrefix;
import dev.weft.model.IpamLink;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.ObjectType;
import dev.weft.model.Ref;
import dev.weft.model.Subnet;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.objects.Stored;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * LoadBalancer services and {@code externalIPs} get floating IPs from the most specific pool
 * (service annotation, namespace annotation, Weft's global pool), write {@code
 * status.loadBalancer.ingress}, and refuse bad input with an Event while everything else carries
 * on.
 */
class ServiceFloatingIpTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(20);
  private static final FqName NETWORK = FqName.parse("default-domain:k8s-default:vn-public");
  private static final String RESERVATIONS = NETWORK.toString();
  private static final String GLOBAL = "default-domain:k8s-default:vn-public:pool-global";
  private Cluster cluster;

  static {
    org.awaitility.Awaitility.setDefaultTimeout(TIMEOUT);
    org.awaitility.Awaitility.setDefaultPollInterval(Duration.ofMillis(20));
  }

  @BeforeEach
  void start() throws Exception {
    cluster = new Cluster(ClusterConfig.defaults().withPublicFipPool(FqName.parse(GLOBAL)));
    settle();
    publicNetwork();
    pool("pool-global");
    pool("pool-ns", "203.0.113.64/26");
    pool("pool-svc", "203.0.113.128/26");
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  // --- fixtures -----------------------------------------------------------------------------

  private void publicNetwork() {
    Stored<ConfigObject> ipam =
        cluster
            .store
            .cache()
            .get(ObjectType.NETWORK_IPAM, ClusterObjects.DEFAULT_IPAM)
            .orElseThrow();
    Stored<ConfigObject> project =
        cluster.store.cache().get(ObjectType.PROJECT, NETWORK.parentName()).orElseThrow();
    cluster.store.commit(
        cluster
            .store
            .begin()
            .create(
                new VirtualNetwork(
                    UUID.randomUUID(),
                    NETWORK,
                    Ref.to(project.object()),
                    Map.of(),
                    List.of(
                        new IpamLink(Ref.to(ipam.object()), List.of(Subnet.of("203.0.113.0/24")))),
                    List.of("target:64512:100"),
                    List.of())));
  }

  private void pool(String name, String... subnets) {
    VirtualNetwork vn =
        cluster
            .store
            .cache()
            .<VirtualNetwork>get(ObjectType.VIRTUAL_NETWORK, NETWORK)
            .orElseThrow()
            .object();
    List<IpPrefix> prefixes = new ArrayList<>();
    for (String s : subnets) {
      prefixes.add(IpPrefix.parse(s));
    }
    cluster.store.commit(
        cluster
            .store
            .begin()
            .create(
                new FloatingIpPool(
                    UUID.randomUUID(), NETWORK.child(name), Ref.to(vn), Map.of(), prefixes)));
  }

  private static String poolAnnotation(String pool) {
    return "{\"domain\":\"default-domain\",\"project\":\"k8s-default\",\"network\":\"vn-public\","
        + "\"name\":\""
        + pool
        + "\"}";
  }

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

  private final Map<String, String> clusterIps = new java.util.HashMap<>();

  /**
   * Creates or replaces a service on port 80 (target 8080); {@code spec} adjusts it. Each service
   * keeps one cluster IP across replacements, as the API server keeps the one it allocated.
   */
  private Service service(
      String ns,
      String name,
      String type,
      Map<String, String> annotations,
      Consumer<ServiceBuilder> spec) {
    ServiceBuilder b =
        new ServiceBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .withAnnotations(annotations)
            .endMetadata()
            .withNewSpec()
            .withType(type)
            .withClusterIP(
                clusterIps.computeIfAbsent(
                    ns + "/" + name, k -> "10.96.1." + (clusterIps.size() + 10)))
            .withPorts(
                new ServicePortBuilder()
                    .withName("http")
                    .withProtocol("TCP")
                    .withPort(80)
                    .withNewTargetPort(8080)
                    .build())
            .endSpec();
    spec.accept(b);
    return cluster.client.resource(b.build()).createOr(Cluster::updateRetrying);
  }

  private Service loadBalancer(String ns, String name, Map<String, String> annotations) {
    return service(ns, name, "LoadBalancer", annotations, b -> {});
  }

  private void settle() throws InterruptedException {
    Processed p = cluster.manager.awaitProcessed(TIMEOUT);
    assertThat(p.reached()).as(p.describe()).isTrue();
  }

  private List<FloatingIp> fips(String ns, String svc) {
    return cluster.store.cache().ownedBy("Service/" + ns + "/" + svc).stream()
        .map(Stored::object)
        .filter(FloatingIp.class::isInstance)
        .map(FloatingIp.class::cast)
        .toList();
  }

  /** Floating IPs as {@code pool address}. */
  private TreeSet<String> fipSummary(String ns, String svc) {
    TreeSet<String> out = new TreeSet<>();
    for (FloatingIp f : fips(ns, svc)) {
      out.add(f.parent().to().name() + " " + f.address());
    }
    return out;
  }

  private List<String> ingress(String ns, String name) {
    Service s = cluster.client.services().inNamespace(ns).withName(name).get();
    if (s.getStatus() == null
        || s.getStatus().getLoadBalancer() == null
        || s.getStatus().getLoadBalancer().getIngress() == null) {
      return List.of();
    }
    return s.getStatus().getLoadBalancer().getIngress().stream().map(i -> i.getIp()).toList();
  }

  private boolean reserved(String address) {
    return cluster.kv.get(Ipam.key(RESERVATIONS, address)).isPresent();
  }

  private List<Event> events(String ns, String involved, String reason) {
    return cluster.client.v1().events().inNamespace(ns).list().getItems().stream()
        .filter(e -> involved.equals(e.getInvolvedObject().getName()))
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  private Loadbalancer lb(String ns, String svc) {
    return cluster.store.cache().ownedBy("Service/" + ns + "/" + svc).stream()
        .map(Stored::object)
        .filter(Loadbalancer.class::isInstance)
        .map(Loadbalancer.class::cast)
        .findFirst()
        .orElseThrow();
  }

  // --- behaviour ----------------------------------------------------------------------------

  @Test
  void aLoadBalancerServiceGetsAFloatingIpFromTheGlobalPoolAndItsStatusSaysSo() throws Exception {
    Service svc = loadBalancer("default", "web", Map.of());
    settle();

    List<FloatingIp> fips = fips("default", "web");
    assertThat(fips).hasSize(1);
    FloatingIp fip = fips.get(0);
    assertThat(fip.fqName().toString()).isEqualTo(GLOBAL + ":k8s__default__web");
    assertThat(fip.loadbalancer().uuid()).isEqualTo(UUID.fromString(svc.getMetadata().getUid()));
    assertThat(fip.interfaces()).isEmpty();
    assertThat(IpPrefix.parse("203.0.113.0/24").contains(fip.address())).isTrue();
    assertThat(reserved(fip.address())).isTrue();
    await().until(() -> ingress("default", "web").equals(List.of(fip.address())));
    // The spec is the user's: the address is in the status only.
    assertThat(
            cluster
                .client
                .services()
                .inNamespace("default")
                .withName("web")
                .get()
                .getSpec()
                .getLoadBalancerIP())
        .isNull();

    // Reconciling again keeps the address and writes nothing.
    long revision = cluster.kv.revision();
    namespace("default", Map.of("example.com/note", "unrelated"));
    settle();
    assertThat(cluster.kv.revision()).isEqualTo(revision);

    // No longer a LoadBalancer: the floating IP goes, its address is released, the status cleared.
    service("default", "web", "ClusterIP", Map.of(), b -> {});
    settle();
    assertThat(fips("default", "web")).isEmpty();
    assertThat(reserved(fip.address())).isFalse();
    await().until(() -> ingress("default", "web").isEmpty());
    assertThat(lb("default", "web")).isNotNull();
  }

  @Test
  void theMostSpecificPoolWinsAndRemovingAnAnnotationFallsBackAtOnce() throws Exception {
    namespace("shop", Map.of(KubeAnnotations.FIP_POOL, poolAnnotation("pool-ns")));
    loadBalancer("shop", "by-ns", Map.of());
    loadBalancer("shop", "by-svc", Map.of(KubeAnnotations.FIP_POOL, poolAnnotation("pool-svc")));
    loadBalancer("default", "global", Map.of());
    settle();

    assertThat(fips("shop", "by-ns"))
        .singleElement()
        .satisfies(f -> inPool(f, "pool-ns", "203.0.113.64/26"));
    assertThat(fips("shop", "by-svc"))
        .singleElement()
        .satisfies(f -> inPool(f, "pool-svc", "203.0.113.128/26"));
    assertThat(fips("default", "global"))
        .singleElement()
        .satisfies(f -> inPool(f, "pool-global", "203.0.113.0/24"));

    // The service annotation removed: the namespace's pool applies, the old address is released.
    String old = fips("shop", "by-svc").get(0).address();
    loadBalancer("shop", "by-svc", Map.of());
    settle();
    assertThat(fips("shop", "by-svc"))
        .singleElement()
        .satisfies(f -> inPool(f, "pool-ns", "203.0.113.64/26"));
    assertThat(reserved(old)).isFalse();
    String now = fips("shop", "by-svc").get(0).address();
    await().until(() -> ingress("shop", "by-svc").equals(List.of(now)));

    // The namespace annotation removed: the global pool applies.
    namespace("shop", Map.of());
    settle();
    assertThat(fips("shop", "by-ns"))
        .singleElement()
        .satisfies(f -> assertThat(f.parent().to().name()).isEqualTo("pool-global"));
  }

  private static void inPool(FloatingIp f, String pool, String range) {
    assertThat(f.parent().to().name()).isEqualTo(pool);
    assertThat(IpPrefix.parse(range).contains(f.address())).as(f.address()).isTrue();
  }

  @Test
  void aLoadBalancerIpInsideThePoolIsHonouredAndOneOutsideIsRefusedWithAnEvent() throws Exception {
    service(
        "default",
        "fixed",
        "LoadBalancer",
        Map.of(),
        b -> b.editSpec().withLoadBalancerIP("203.0.113.77").endSpec());
    service(
        "default",
        "outside",
        "LoadBalancer",
        Map.of(),
        b -> b.editSpec().withLoadBalancerIP("198.51.100.9").endSpec());
    settle();

    assertThat(fipSummary("default", "fixed")).containsExactly("pool-global 203.0.113.77");
    await().until(() -> ingress("default", "fixed").equals(List.of("203.0.113.77")));

    await().until(() -> !events("default", "outside", "LoadBalancerIPOutsidePool").isEmpty());
    assertThat(events("default", "outside", "LoadBalancerIPOutsidePool").get(0).getMessage())
        .contains("spec.loadBalancerIP 198.51.100.9 is not an address floating-IP pool " + GLOBAL);
    assertThat(fips("default", "outside")).isEmpty();
    assertThat(ingress("default", "outside")).isEmpty();
    // Its cluster IP is served all the same.
    assertThat(lb("default", "outside").vipAddress()).isNotNull();

    // Another service asking for an address in use is told who has it.
    service(
        "default",
        "copycat",
        "LoadBalancer",
        Map.of(),
        b -> b.editSpec().withLoadBalancerIP("203.0.113.77").endSpec());
    settle();
    await().until(() -> !events("default", "copycat", "LoadBalancerIPInUse").isEmpty());
    assertThat(events("default", "copycat", "LoadBalancerIPInUse").get(0).getMessage())
        .contains("held by Kubernetes Service \"default/fixed\"");

    // Fixed: the address is taken at once.
    service(
        "default",
        "outside",
        "LoadBalancer",
        Map.of(),
        b -> b.editSpec().withLoadBalancerIP("203.0.113.78").endSpec());
    settle();
    assertThat(fipSummary("default", "outside")).containsExactly("pool-global 203.0.113.78");
    assertThat(cluster.manager.problems()).doesNotContainKey("Service/default/outside");

    // Changing loadBalancerIP moves the floating IP and releases the old address.
    service(
        "default",
        "fixed",
        "LoadBalancer",
        Map.of(),
        b -> b.editSpec().withLoadBalancerIP("203.0.113.79").endSpec());
    settle();
    assertThat(fipSummary("default", "fixed")).containsExactly("pool-global 203.0.113.79");
    // ...which the waiting service gets.
    settle();
    await().until(() -> fipSummary("default", "copycat").contains("pool-global 203.0.113.77"));
  }

  @Test
  void eachExternalIpGetsAFloatingIpAndARemovedOneIsReleased() throws Exception {
    service(
        "default",
        "ext",
        "ClusterIP",
        Map.of(),
        b -> b.editSpec().withExternalIPs("203.0.113.10", "203.0.113.11").endSpec());
    settle();
    assertThat(fipSummary("default", "ext"))
        .containsExactly("pool-global 203.0.113.10", "pool-global 203.0.113.11");
    assertThat(fips("default", "ext"))
        .allSatisfy(
            f ->
                assertThat(f.fqName().name())
                    .startsWith("k8s__default__ext__external__203.0.113.1"));
    assertThat(ingress("default", "ext")).isEmpty(); // not a LoadBalancer: no status

    service(
        "default",
        "ext",
        "ClusterIP",
        Map.of(),
        b -> b.editSpec().withExternalIPs("203.0.113.11").endSpec());
    settle();
    assertThat(fipSummary("default", "ext")).containsExactly("pool-global 203.0.113.11");
    assertThat(reserved("203.0.113.10")).isFalse();
    assertThat(reserved("203.0.113.11")).isTrue();

    // One outside the pool: an Event, and the floating IPs it had stay.
    service(
        "default",
        "ext",
        "ClusterIP",
        Map.of(),
        b -> b.editSpec().withExternalIPs("203.0.113.11", "192.0.2.1").endSpec());
    settle();
    await().until(() -> !events("default", "ext", "ExternalIPOutsidePool").isEmpty());
    assertThat(fipSummary("default", "ext")).containsExactly("pool-global 203.0.113.11");
  }

  @Test
  void anAnnotationNamingNoPoolIsAnEventUntilThePoolExists() throws Exception {
    loadBalancer(
        "default", "later", Map.of(KubeAnnotations.FIP_POOL, poolAnnotation("pool-later")));
    loadBalancer("default", "fine", Map.of());
    settle();
    await().until(() -> !events("default", "later", "FloatingIpPoolNotFound").isEmpty());
    assertThat(events("default", "later", "FloatingIpPoolNotFound").get(0).getMessage())
        .contains(
            "floating-IP pool default-domain:k8s-default:vn-public:pool-later (from the service's annotation opencontrail.org/fip-pool) does not exist");
    assertThat(fips("default", "later")).isEmpty();
    assertThat(fips("default", "fine")).hasSize(1);

    pool("pool-later");
    settle();
    await().until(() -> fips("default", "later").size() == 1);
    assertThat(fips("default", "later").get(0).parent().to().name()).isEqualTo("pool-later");
  }

  @Test
  void anExhaustedPoolIsAnEventAndTheAddressGoesToTheWaitingServiceWhenFreed() throws Exception {
    pool("pool-tiny", "203.0.113.250/31");
    Map<String, String> tiny = Map.of(KubeAnnotations.FIP_POOL, poolAnnotation("pool-tiny"));
    loadBalancer("default", "a", tiny);
    loadBalancer("default", "b", tiny);
    settle();
    loadBalancer("default", "c", tiny);
    settle();
    await().until(() -> !events("default", "c", "FloatingIpPoolExhausted").isEmpty());
    assertThat(fips("default", "c")).isEmpty();

    String freed = fips("default", "a").get(0).address();
    cluster.client.services().inNamespace("default").withName("a").delete();
    settle();
    await()
        .until(
            () -> fipSummary("default", "c").equals(new TreeSet<>(List.of("pool-tiny " + freed))));
  }

  @Test
  void nodePortsBecomeListenerNodePortsForNodePortAndLoadBalancerServicesOnly() throws Exception {
    service(
        "default",
        "np",
        "NodePort",
        Map.of(),
        b -> b.editSpec().editFirstPort().withNodePort(30080).endPort().endSpec());
    settle();
    List<LoadbalancerListener> listeners =
        cluster.store.cache().ownedBy("Service/default/np").stream()
            .map(Stored::object)
            .filter(LoadbalancerListener.class::isInstance)
            .map(LoadbalancerListener.class::cast)
            .toList();
    assertThat(listeners).singleElement().satisfies(l -> assertThat(l.nodePort()).isEqualTo(30080));
    assertThat(fips("default", "np")).isEmpty();
  }
}
