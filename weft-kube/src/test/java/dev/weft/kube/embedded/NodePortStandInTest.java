package dev.weft.kube.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.model.PortRange;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The stand-in for the API server's node-port allocation, against the embedded API. */
class NodePortStandInTest {
  private static final PortRange RANGE = StandIns.DEFAULT_NODE_PORT_RANGE;

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

  private void cluster(PortRange range) {
    cluster = new StandInCluster(StandIns.DEFAULT_SERVICE_SUBNETS, range, true);
  }

  private static ServicePort port(String name, int port, String protocol, Integer nodePort) {
    return new ServicePortBuilder()
        .withName(name)
        .withProtocol(protocol)
        .withPort(port)
        .withNodePort(nodePort)
        .build();
  }

  private static ServicePort port(String name, int port) {
    return port(name, port, "TCP", null);
  }

  private static Service service(String name, String type, ServicePort... ports) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .endMetadata()
        .withNewSpec()
        .withType(type)
        .withPorts(ports)
        .endSpec()
        .build();
  }

  private void create(Service service) {
    cluster.client.resource(service).create();
  }

  private Service get(String name) {
    return cluster.service("default", name);
  }

  /** The node ports of a service's entries, in order; null for none. */
  private List<Integer> nodePorts(String name) {
    return get(name).getSpec().getPorts().stream().map(ServiceNodePorts::nodePort).toList();
  }

  /** Whether the stand-in has been round the service (it always fills in the cluster IP). */
  private boolean seen(String name) {
    return get(name).getSpec().getIpFamilyPolicy() != null;
  }

  /** Changes a service once the stand-ins are idle, so that no write of theirs is in between. */
  private void change(String name, UnaryOperator<Service> edit) throws InterruptedException {
    assertThat(cluster.standIns.awaitIdle(Duration.ofSeconds(30))).isTrue();
    cluster.client.resource(edit.apply(get(name))).update();
  }

  private List<Event> events(String service, String reason) {
    return cluster.client.v1().events().inNamespace("default").list().getItems().stream()
        .filter(e -> service.equals(e.getInvolvedObject().getName()))
        .filter(e -> reason.equals(e.getReason()))
        .toList();
  }

  @Test
  void nodePortAndLoadBalancerServicesGetNodePortsNoOtherServiceHas() throws Exception {
    cluster(RANGE);
    List<String> names = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      String type = i % 2 == 0 ? "NodePort" : "LoadBalancer";
      create(service("s" + i, type, port("http", 80), port("https", 443)));
      names.add("s" + i);
    }
    Service quiet = service("quiet", "LoadBalancer", port("http", 80));
    quiet.getSpec().setAllocateLoadBalancerNodePorts(false);
    create(quiet);
    create(service("inside", "ClusterIP", port("http", 80)));

    await()
        .until(
            () -> names.stream().allMatch(n -> nodePorts(n).stream().allMatch(Objects::nonNull)));
    Map<Integer, String> holder = new HashMap<>();
    for (String n : names) {
      for (Integer np : nodePorts(n)) {
        assertThat(RANGE.contains(np)).as("%s: %d", n, np).isTrue();
        assertThat(holder.put(np, n)).as("%d handed to %s and %s", np, n, holder.get(np)).isNull();
      }
    }
    await().until(() -> seen("quiet") && seen("inside"));
    assertThat(cluster.standIns.awaitIdle(Duration.ofSeconds(30))).isTrue();
    assertThat(nodePorts("quiet")).containsOnlyNulls();
    assertThat(nodePorts("inside")).containsOnlyNulls();
  }

  @Test
  void aRequestedNodePortIsKeptAndAnotherServiceAskingForItIsRefusedWithAnEvent() {
    cluster(RANGE);
    create(service("first", "NodePort", port("http", 80, "TCP", 30080)));
    await().until(() -> seen("first"));
    create(service("second", "NodePort", port("http", 80, "TCP", 30080), port("admin", 81)));
    create(service("far", "NodePort", port("http", 80, "TCP", 40000)));

    await().until(() -> !events("second", "NodePortAlreadyAllocated").isEmpty());
    assertThat(events("second", "NodePortAlreadyAllocated").get(0).getMessage())
        .contains("spec.ports[0].nodePort")
        .contains("default/first");
    await().until(() -> !events("far", "NodePortOutOfRange").isEmpty());
    assertThat(nodePorts("first")).containsExactly(30080);
    // The node ports are left as asked; the rest of the service carries on.
    assertThat(nodePorts("second")).containsExactly(30080, null);
    assertThat(get("second").getSpec().getClusterIP()).isNotNull();
    assertThat(nodePorts("far")).containsExactly(40000);
  }

  @Test
  void aReplaceWithoutNodePortsGetsTheSameOnesBack() throws Exception {
    cluster(RANGE);
    create(service("web", "NodePort", port("http", 80), port("https", 443)));
    await().until(() -> nodePorts("web").stream().allMatch(Objects::nonNull));
    List<Integer> before = nodePorts("web");
    change(
        "web",
        s ->
            new ServiceBuilder(s)
                .editSpec()
                .withPorts(port("https", 443), port("http", 80))
                .endSpec()
                .build());
    await().until(() -> nodePorts("web").stream().allMatch(Objects::nonNull));
    assertThat(nodePorts("web")).containsExactly(before.get(1), before.get(0));
  }

  @Test
  void turningClusterIpClearsTheNodePortsAndFreesThem() throws Exception {
    // One node port in all.
    cluster(new PortRange(31000, 31000));
    create(service("a", "LoadBalancer", port("http", 80)));
    await().until(() -> Integer.valueOf(31000).equals(nodePorts("a").get(0)));
    // As kubectl apply sends it: the type changed, the node port the cluster chose still there.
    change("a", s -> new ServiceBuilder(s).editSpec().withType("ClusterIP").endSpec().build());
    await().until(() -> nodePorts("a").get(0) == null);
    create(service("b", "NodePort", port("http", 80)));
    await().until(() -> Integer.valueOf(31000).equals(nodePorts("b").get(0)));
    assertThat(events("a", "NodePortNotAllowed")).isEmpty();
  }

  @Test
  void aDeletedServiceOrRemovedPortFreesItsNodePorts() throws Exception {
    cluster(new PortRange(31000, 31001));
    create(service("a", "NodePort", port("http", 80), port("https", 443)));
    await().until(() -> nodePorts("a").stream().allMatch(Objects::nonNull));
    create(service("b", "NodePort", port("http", 80)));
    await().until(() -> !events("b", "NodePortsExhausted").isEmpty());
    assertThat(nodePorts("b")).containsOnlyNulls();

    int https = nodePorts("a").get(1);
    change(
        "a",
        s ->
            new ServiceBuilder(s)
                .editSpec()
                .withPorts(s.getSpec().getPorts().get(0))
                .endSpec()
                .build());
    create(service("c", "NodePort", port("http", 80)));
    await().until(() -> Integer.valueOf(https).equals(nodePorts("c").get(0)));

    int http = nodePorts("a").get(0);
    cluster.client.resource(get("a")).delete();
    create(service("d", "NodePort", port("http", 80)));
    await().until(() -> Integer.valueOf(http).equals(nodePorts("d").get(0)));
  }

  @Test
  void onStartTheStandInsLearnTheNodePortsServicesAlreadyHave() {
    // Four ports: three already taken by services that exist before the stand-ins start.
    cluster =
        new StandInCluster(StandIns.DEFAULT_SERVICE_SUBNETS, new PortRange(31000, 31003), false);
    create(service("new", "NodePort", port("http", 80)));
    create(service("x", "NodePort", port("http", 80, "TCP", 31000)));
    create(service("y", "LoadBalancer", port("http", 80, "TCP", 31001)));
    create(
        service("z", "NodePort", port("dns", 53, "TCP", 31003), port("dns-udp", 53, "UDP", 31003)));
    cluster.start();

    await().until(() -> nodePorts("new").get(0) != null);
    assertThat(nodePorts("new")).containsExactly(31002);
    await().until(() -> seen("x") && seen("y") && seen("z"));
    assertThat(nodePorts("x")).containsExactly(31000);
    assertThat(nodePorts("y")).containsExactly(31001);
    assertThat(nodePorts("z")).containsExactly(31003, 31003);
  }
}
