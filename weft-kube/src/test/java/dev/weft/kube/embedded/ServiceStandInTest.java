package dev.weft.kube.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.model.IpPrefix;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The stand-ins for the API server's cluster-IP allocation and for the endpoint-slice and mirroring
 * controllers, against the embedded API.
 */
class ServiceStandInTest {
  private static final IpPrefix SERVICE_SUBNET = IpPrefix.parse("10.96.0.0/12");

  static {
    org.awaitility.Awaitility.setDefaultTimeout(Duration.ofSeconds(30));
    org.awaitility.Awaitility.setDefaultPollInterval(Duration.ofMillis(20));
  }

  private StandInCluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private StandInCluster cluster() {
    cluster = new StandInCluster();
    return cluster;
  }

  private static ServicePort port(String name, int port, IntOrString target) {
    return new ServicePortBuilder()
        .withName(name)
        .withProtocol("TCP")
        .withPort(port)
        .withTargetPort(target)
        .build();
  }

  private Service service(
      String ns,
      String name,
      String type,
      String clusterIp,
      Map<String, String> selector,
      ServicePort... ports) {
    return cluster
        .client
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .endMetadata()
                .withNewSpec()
                .withType(type)
                .withClusterIP(clusterIp)
                .withSelector(selector)
                .withPorts(ports)
                .endSpec()
                .build())
        .create();
  }

  private Service web(Map<String, String> selector) {
    return service(
        "default", "web", "ClusterIP", null, selector, port("http", 80, new IntOrString(8080)));
  }

  /**
   * Every endpoint of a service's slices as {@code pod ready port,port...}, sorted; placeholder
   * slices have none.
   */
  private Set<String> endpoints(String ns, String service, String controller) {
    Set<String> out = new TreeSet<>();
    for (EndpointSlice s : cluster.slices(ns, service, controller)) {
      String ports =
          s.getPorts() == null
              ? ""
              : s.getPorts().stream()
                  .map(p -> p.getName() + ":" + p.getPort())
                  .sorted()
                  .collect(Collectors.joining(","));
      for (Endpoint e : s.getEndpoints()) {
        String who =
            e.getTargetRef() == null ? e.getAddresses().get(0) : e.getTargetRef().getName();
        out.add(
            who
                + " "
                + (Boolean.TRUE.equals(e.getConditions().getReady()) ? "ready" : "unready")
                + " "
                + ports);
      }
    }
    return out;
  }

  private Set<String> endpoints(String service) {
    return endpoints("default", service, DesiredSlices.CONTROLLER);
  }

  private static Map<String, String> app(String app) {
    return Map.of("app", app);
  }

  // --- cluster IPs --------------------------------------------------------------------------

  @Test
  void servicesGetUniqueClusterIpsFromTheServiceSubnetButHeadlessAndExternalNameGetNone() {
    cluster();
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      String type = List.of("ClusterIP", "NodePort", "LoadBalancer").get(i % 3);
      service("default", "s" + i, type, null, Map.of(), port("p", 80, null));
      names.add("s" + i);
    }
    service("default", "dns", "ClusterIP", "10.96.0.10", Map.of(), port("dns", 53, null));
    service("default", "headless", "ClusterIP", "None", app("db"), port("db", 5432, null));
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

    await()
        .until(
            () ->
                names.stream()
                    .allMatch(n -> cluster.service("default", n).getSpec().getClusterIP() != null));
    Set<String> seen = new HashSet<>();
    for (String n : names) {
      var spec = cluster.service("default", n).getSpec();
      assertThat(SERVICE_SUBNET.contains(spec.getClusterIP())).as(n).isTrue();
      assertThat(seen.add(spec.getClusterIP()))
          .as("%s: %s handed out twice", n, spec.getClusterIP())
          .isTrue();
      assertThat(spec.getClusterIPs()).containsExactly(spec.getClusterIP());
      assertThat(spec.getIpFamilies()).containsExactly("IPv4");
      assertThat(spec.getIpFamilyPolicy()).isEqualTo("SingleStack");
    }
    assertThat(seen).doesNotContain("10.96.0.10");
    await()
        .until(
            () ->
                "SingleStack"
                    .equals(cluster.service("default", "dns").getSpec().getIpFamilyPolicy()));
    assertThat(cluster.service("default", "dns").getSpec().getClusterIP()).isEqualTo("10.96.0.10");
    assertThat(cluster.service("default", "dns").getSpec().getClusterIPs())
        .containsExactly("10.96.0.10");
    await()
        .until(
            () ->
                "SingleStack"
                    .equals(cluster.service("default", "headless").getSpec().getIpFamilyPolicy()));
    assertThat(cluster.service("default", "headless").getSpec().getClusterIP()).isEqualTo("None");
    assertThat(cluster.service("default", "headless").getSpec().getClusterIPs())
        .containsExactly("None");
    assertThat(cluster.service("default", "alias").getSpec().getClusterIP()).isNull();
    assertThat(cluster.service("default", "alias").getSpec().getClusterIPs()).isEmpty();
  }

  @Test
  void aRequestedClusterIpIsKeptAndNeverHandedToAnotherService() throws Exception {
    // Six usable addresses, no static band: the requested one is in the middle of the others.
    cluster = new StandInCluster(List.of(IpPrefix.parse("10.100.0.0/29")));
    service("default", "fixed", "ClusterIP", "10.100.0.3", Map.of(), port("p", 80, null));
    await().until(() -> cluster.service("default", "fixed").getSpec().getIpFamilyPolicy() != null);
    for (int i = 0; i < 6; i++) {
      service("default", "s" + i, "ClusterIP", null, Map.of(), port("p", 80, null));
    }
    // Five left for six services: one goes without, as the API server would refuse it.
    await().until(() -> clusterIps(6).size() == 5);
    assertThat(cluster.standIns.awaitIdle(Duration.ofSeconds(30))).isTrue();
    assertThat(clusterIps(6))
        .containsExactlyInAnyOrder(
            "10.100.0.1", "10.100.0.2", "10.100.0.4", "10.100.0.5", "10.100.0.6");
    assertThat(cluster.service("default", "fixed").getSpec().getClusterIP())
        .isEqualTo("10.100.0.3");
    // The one without is told why, on the service.
    await()
        .until(
            () ->
                cluster.client.v1().events().inNamespace("default").list().getItems().stream()
                    .anyMatch(
                        e ->
                            "ClusterIPAllocationFailed".equals(e.getReason())
                                && "Warning".equals(e.getType())
                                && e.getMessage().contains("no free cluster IP")));

    // A replace that drops the address gets the same one back, as the API server keeps it.
    Service s0 = cluster.service("default", "s0");
    String before = s0.getSpec().getClusterIP();
    s0.getSpec().setClusterIP(null);
    s0.getSpec().setClusterIPs(List.of());
    s0.getMetadata().setResourceVersion(null);
    cluster.client.resource(s0).update();
    await().until(() -> before.equals(cluster.service("default", "s0").getSpec().getClusterIP()));
  }

  /** The cluster IPs of services s0 ... s{n-1} that have one. */
  private List<String> clusterIps(int n) {
    List<String> given = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String ip = cluster.service("default", "s" + i).getSpec().getClusterIP();
      if (ip != null) {
        given.add(ip);
      }
    }
    return given;
  }

  @Test
  void dualStackServicesGetOneAddressPerFamilyAsTheirPolicyAsks() {
    IpPrefix v6 = IpPrefix.parse("fd00:96::/108");
    cluster = new StandInCluster(List.of(SERVICE_SUBNET, v6));
    var dual =
        new ServiceBuilder()
            .withNewMetadata()
            .withName("dual")
            .withNamespace("default")
            .endMetadata()
            .withNewSpec()
            .withIpFamilyPolicy("PreferDualStack")
            .withPorts(port("p", 80, null))
            .endSpec()
            .build();
    cluster.client.resource(dual).create();
    var six =
        new ServiceBuilder(dual)
            .editMetadata()
            .withName("six")
            .endMetadata()
            .editSpec()
            .withIpFamilyPolicy(null)
            .withIpFamilies("IPv6")
            .endSpec()
            .build();
    cluster.client.resource(six).create();
    service("default", "single", null, null, Map.of(), port("p", 80, null));

    await().until(() -> cluster.service("default", "dual").getSpec().getClusterIPs().size() == 2);
    var spec = cluster.service("default", "dual").getSpec();
    assertThat(spec.getIpFamilies()).containsExactly("IPv4", "IPv6");
    assertThat(SERVICE_SUBNET.contains(spec.getClusterIPs().get(0))).isTrue();
    assertThat(v6.contains(spec.getClusterIPs().get(1))).isTrue();
    assertThat(spec.getClusterIP()).isEqualTo(spec.getClusterIPs().get(0));

    await().until(() -> cluster.service("default", "six").getSpec().getClusterIP() != null);
    assertThat(v6.contains(cluster.service("default", "six").getSpec().getClusterIP())).isTrue();
    assertThat(cluster.service("default", "six").getSpec().getIpFamilyPolicy())
        .isEqualTo("SingleStack");

    await().until(() -> cluster.service("default", "single").getSpec().getClusterIP() != null);
    assertThat(cluster.service("default", "single").getSpec().getClusterIPs()).hasSize(1);
    assertThat(cluster.service("default", "single").getSpec().getIpFamilies())
        .containsExactly("IPv4");
  }

  // --- pods ---------------------------------------------------------------------------------

  private Pod pod(String name) {
    return cluster.client.pods().inNamespace("default").withName(name).get();
  }

  private static String readyCondition(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return null;
    }
    return pod.getStatus().getConditions().stream()
        .filter(c -> "Ready".equals(c.getType()))
        .map(PodCondition::getStatus)
        .findFirst()
        .orElse(null);
  }

  @Test
  void aRunningPodIsReadyUnlessItsReadyAnnotationSaysFalse() {
    cluster();
    cluster.pod("default", "up", "10.32.0.1", app("web"), Map.of());
    cluster.pod(
        "default",
        "down",
        "10.32.0.2",
        app("web"),
        Map.of(),
        Map.of(StandIns.READY_ANNOTATION, "false"));
    await().until(() -> "True".equals(readyCondition(pod("up"))));
    await().until(() -> "False".equals(readyCondition(pod("down"))));
    assertThat(pod("down").getStatus().getPhase()).isEqualTo("Running");
    assertThat(pod("down").getStatus().getPodIP()).isEqualTo("10.32.0.2");

    cluster
        .client
        .pods()
        .inNamespace("default")
        .withName("down")
        .edit(
            p -> {
              p.getMetadata().getAnnotations().put(StandIns.READY_ANNOTATION, "true");
              return p;
            });
    await().until(() -> "True".equals(readyCondition(pod("down"))));
  }

  // --- endpoint slices ------------------------------------------------------------------------

  @Test
  void slicesFollowTheServicesPodsAsTheyScaleUpAndDown() {
    cluster();
    web(app("web"));
    // No pods yet: one empty placeholder slice, as the controller keeps.
    await().until(() -> cluster.slices("default", "web").size() == 1);
    assertThat(cluster.slices("default", "web").get(0).getEndpoints()).isEmpty();

    int n = 105;
    for (int i = 0; i < n; i++) {
      cluster.pod("default", "web-" + i, "10.32.1." + i, app("web"), Map.of());
    }
    cluster.pod("default", "other", "10.32.2.1", app("other"), Map.of());
    await()
        .until(
            () ->
                endpoints("web").size() == n
                    && endpoints("web").stream().allMatch(e -> e.contains(" ready ")));
    assertThat(endpoints("web")).allMatch(e -> e.endsWith(" http:8080"));
    List<EndpointSlice> slices = cluster.slices("default", "web");
    assertThat(slices).hasSize(2);
    assertThat(slices).allMatch(s -> s.getEndpoints().size() <= 100);
    EndpointSlice one = slices.get(0);
    assertThat(one.getAddressType()).isEqualTo("IPv4");
    assertThat(one.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.getKind()).isEqualTo("Service");
              assertThat(o.getName()).isEqualTo("web");
              assertThat(o.getUid())
                  .isEqualTo(cluster.service("default", "web").getMetadata().getUid());
            });
    Endpoint e = one.getEndpoints().get(0);
    assertThat(e.getNodeName()).isIn("node-1", "node-2");
    assertThat(e.getTargetRef().getKind()).isEqualTo("Pod");
    assertThat(e.getAddresses()).hasSize(1);

    for (int i = 1; i < n; i++) {
      cluster.client.pods().inNamespace("default").withName("web-" + i).delete();
    }
    await().until(() -> endpoints("web").equals(Set.of("web-0 ready http:8080")));
    await().until(() -> cluster.slices("default", "web").size() == 1);
  }

  @Test
  void unreadyPodsAreEndpointsThatAreNotReady() {
    cluster();
    web(app("web"));
    cluster.pod("default", "a", "10.32.0.1", app("web"), Map.of());
    cluster.pod(
        "default",
        "b",
        "10.32.0.2",
        app("web"),
        Map.of(),
        Map.of(StandIns.READY_ANNOTATION, "false"));
    await()
        .until(() -> endpoints("web").equals(Set.of("a ready http:8080", "b unready http:8080")));

    cluster
        .client
        .pods()
        .inNamespace("default")
        .withName("b")
        .edit(
            p -> {
              p.getMetadata().getAnnotations().remove(StandIns.READY_ANNOTATION);
              return p;
            });
    cluster
        .client
        .pods()
        .inNamespace("default")
        .withName("a")
        .edit(
            p -> {
              p.getMetadata().getAnnotations().put(StandIns.READY_ANNOTATION, "false");
              return p;
            });
    await()
        .until(() -> endpoints("web").equals(Set.of("a unready http:8080", "b ready http:8080")));
  }

  @Test
  void aNamedTargetPortIsResolvedPerPodIntoOneSlicePerNumber() {
    cluster();
    service(
        "default",
        "web",
        "ClusterIP",
        null,
        app("web"),
        port("http", 80, new IntOrString("web")),
        port("metrics", 9100, new IntOrString(9100)));
    cluster.pod("default", "old", "10.32.0.1", app("web"), Map.of("web", 8080));
    cluster.pod("default", "new", "10.32.0.2", app("web"), Map.of("web", 9090));
    cluster.pod("default", "bare", "10.32.0.3", app("web"), Map.of());
    await()
        .until(
            () ->
                endpoints("web")
                    .equals(
                        Set.of(
                            "old ready http:8080,metrics:9100",
                            "new ready http:9090,metrics:9100",
                            "bare ready metrics:9100")));
    assertThat(cluster.slices("default", "web")).hasSize(3);
  }

  @Test
  void slicesFollowSelectorAndLabelChanges() {
    cluster();
    web(app("a"));
    cluster.pod("default", "a1", "10.32.0.1", app("a"), Map.of());
    cluster.pod("default", "b1", "10.32.0.2", app("b"), Map.of());
    await().until(() -> endpoints("web").equals(Set.of("a1 ready http:8080")));

    cluster
        .client
        .services()
        .inNamespace("default")
        .withName("web")
        .edit(
            s -> {
              s.getSpec().setSelector(app("b"));
              return s;
            });
    await().until(() -> endpoints("web").equals(Set.of("b1 ready http:8080")));

    cluster
        .client
        .pods()
        .inNamespace("default")
        .withName("a1")
        .edit(
            p -> {
              p.getMetadata().setLabels(app("b"));
              return p;
            });
    await()
        .until(() -> endpoints("web").equals(Set.of("a1 ready http:8080", "b1 ready http:8080")));

    cluster
        .client
        .pods()
        .inNamespace("default")
        .withName("b1")
        .edit(
            p -> {
              p.getMetadata().setLabels(app("c"));
              return p;
            });
    await().until(() -> endpoints("web").equals(Set.of("a1 ready http:8080")));

    // A port change rewrites the slices.
    cluster
        .client
        .services()
        .inNamespace("default")
        .withName("web")
        .edit(
            s -> {
              s.getSpec().getPorts().get(0).setTargetPort(new IntOrString(8443));
              return s;
            });
    await().until(() -> endpoints("web").equals(Set.of("a1 ready http:8443")));

    // Without a selector the controller manages no slices.
    cluster
        .client
        .services()
        .inNamespace("default")
        .withName("web")
        .edit(
            s -> {
              s.getSpec().setSelector(null);
              return s;
            });
    await().until(() -> cluster.slices("default", "web").isEmpty());
  }

  @Test
  void podsOfOtherNamespacesAreNotEndpoints() {
    cluster();
    cluster
        .client
        .namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName("shop")
                .endMetadata()
                .build())
        .create();
    web(app("web"));
    cluster.pod("default", "here", "10.32.0.1", app("web"), Map.of());
    cluster.pod("shop", "there", "10.32.0.2", app("web"), Map.of());
    await().until(() -> endpoints("web").equals(Set.of("here ready http:8080")));
  }

  @Test
  void deletingAServiceDeletesItsSlices() {
    cluster();
    web(app("web"));
    cluster.pod("default", "a", "10.32.0.1", app("web"), Map.of());
    await().until(() -> endpoints("web").equals(Set.of("a ready http:8080")));
    cluster.client.services().inNamespace("default").withName("web").delete();
    await().until(() -> cluster.slices("default", "web").isEmpty());

    // The same name again: new slices, owned by the new service.
    Service again = web(app("web"));
    await().until(() -> endpoints("web").equals(Set.of("a ready http:8080")));
    assertThat(cluster.slices("default", "web"))
        .allMatch(
            s ->
                s.getMetadata()
                    .getOwnerReferences()
                    .get(0)
                    .getUid()
                    .equals(again.getMetadata().getUid()));
  }

  @Test
  void slicesAnotherControllerOwnsAreLeftAlone() {
    cluster();
    web(app("web"));
    cluster
        .client
        .resource(
            new io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder()
                .withNewMetadata()
                .withName("web-manual")
                .withNamespace("default")
                .addToLabels(DesiredSlices.SERVICE_NAME_LABEL, "web")
                .endMetadata()
                .withAddressType("IPv4")
                .build())
        .create();
    cluster.pod("default", "a", "10.32.0.1", app("web"), Map.of());
    await().until(() -> endpoints("web").equals(Set.of("a ready http:8080")));
    cluster.client.services().inNamespace("default").withName("web").delete();
    await().until(() -> cluster.slices("default", "web").isEmpty());
    assertThat(
            cluster
                .client
                .discovery()
                .v1()
                .endpointSlices()
                .inNamespace("default")
                .withName("web-manual")
                .get())
        .isNotNull();
  }

  // --- mirroring ----------------------------------------------------------------------------

  private void endpointsObject(String name, List<String> ready, List<String> notReady, int port) {
    var b =
        new EndpointsBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("default")
            .endMetadata()
            .addNewSubset();
    for (String ip : ready) {
      b = b.addNewAddress().withIp(ip).endAddress();
    }
    for (String ip : notReady) {
      b = b.addNewNotReadyAddress().withIp(ip).endNotReadyAddress();
    }
    var endpoints =
        b.addNewPort()
            .withName("db")
            .withPort(port)
            .withProtocol("TCP")
            .endPort()
            .endSubset()
            .build();
    cluster.client.resource(endpoints).createOr(r -> r.update());
  }

  @Test
  void manuallyManagedEndpointsOfAServiceWithoutSelectorAreMirroredIntoSlices() {
    cluster();
    service("default", "db", "ClusterIP", null, null, port("db", 5432, null));
    endpointsObject("db", List.of("192.168.0.1", "192.168.0.2"), List.of("192.168.0.3"), 5432);
    await()
        .until(
            () ->
                endpoints("default", "db", DesiredSlices.MIRRORING_CONTROLLER)
                    .equals(
                        Set.of(
                            "192.168.0.1 ready db:5432",
                            "192.168.0.2 ready db:5432",
                            "192.168.0.3 unready db:5432")));
    assertThat(cluster.slices("default", "db")).isEmpty();
    EndpointSlice mirrored =
        cluster.slices("default", "db", DesiredSlices.MIRRORING_CONTROLLER).get(0);
    assertThat(mirrored.getMetadata().getOwnerReferences().get(0).getKind()).isEqualTo("Endpoints");

    endpointsObject("db", List.of("192.168.0.3"), List.of(), 6432);
    await()
        .until(
            () ->
                endpoints("default", "db", DesiredSlices.MIRRORING_CONTROLLER)
                    .equals(Set.of("192.168.0.3 ready db:6432")));

    cluster.client.endpoints().inNamespace("default").withName("db").delete();
    await()
        .until(() -> cluster.slices("default", "db", DesiredSlices.MIRRORING_CONTROLLER).isEmpty());
  }

  @Test
  void endpointsOfAServiceWithASelectorOrOfNoServiceAreNotMirrored() throws Exception {
    cluster();
    web(app("web"));
    endpointsObject("web", List.of("192.168.0.1"), List.of(), 80);
    endpointsObject("nothing", List.of("192.168.0.2"), List.of(), 80);
    cluster.pod("default", "a", "10.32.0.1", app("web"), Map.of());
    await().until(() -> endpoints("web").equals(Set.of("a ready http:8080")));
    assertThat(cluster.standIns.awaitIdle(Duration.ofSeconds(30))).isTrue();
    assertThat(cluster.slices("default", "web", DesiredSlices.MIRRORING_CONTROLLER)).isEmpty();
    assertThat(cluster.slices("default", "nothing", DesiredSlices.MIRRORING_CONTROLLER)).isEmpty();

    // The service arrives after its Endpoints: mirrored then.
    service("default", "nothing", "ClusterIP", null, null, port("db", 80, null));
    await()
        .until(
            () ->
                endpoints("default", "nothing", DesiredSlices.MIRRORING_CONTROLLER)
                    .equals(Set.of("192.168.0.2 ready db:80")));
  }

  @Test
  void deletingANamespaceDeletesItsServicesAndTheirSlices() {
    cluster();
    cluster
        .client
        .namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName("shop")
                .endMetadata()
                .build())
        .create();
    service("shop", "web", "ClusterIP", null, app("web"), port("http", 80, null));
    cluster.pod("shop", "a", "10.32.0.1", app("web"), Map.of());
    await()
        .until(
            () ->
                endpoints("shop", "web", DesiredSlices.CONTROLLER)
                    .equals(Set.of("a ready http:80")));
    cluster.client.namespaces().withName("shop").delete();
    await().until(() -> cluster.service("shop", "web") == null);
    await().until(() -> cluster.slices("shop", "web").isEmpty());
  }
}
