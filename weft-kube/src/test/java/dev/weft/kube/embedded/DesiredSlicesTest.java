package dev.weft.kube.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DesiredSlicesTest {

  private static Pod pod(String name, String ip, boolean ready, Map<String, Integer> ports) {
    var b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("default")
            .withUid("uid-" + name)
            .addToLabels("app", "web")
            .endMetadata()
            .withNewSpec()
            .withNodeName("node-1")
            .addNewContainer()
            .withName("c")
            .endContainer()
            .endSpec()
            .withNewStatus()
            .withPhase("Running")
            .addNewPodIP(ip)
            .addNewCondition()
            .withType("Ready")
            .withStatus(ready ? "True" : "False")
            .endCondition()
            .endStatus();
    ports.forEach(
        (portName, number) ->
            b.editSpec()
                .editFirstContainer()
                .addNewPort()
                .withName(portName)
                .withContainerPort(number)
                .endPort()
                .endContainer()
                .endSpec());
    return b.build();
  }

  private static Service service(IntOrString target) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName("web")
        .withNamespace("default")
        .withUid("svc-uid")
        .endMetadata()
        .withNewSpec()
        .withClusterIP("10.96.1.1")
        .addToSelector("app", "web")
        .addToPorts(
            new ServicePortBuilder().withName("http").withPort(80).withTargetPort(target).build(),
            new ServicePortBuilder().withName("metrics").withPort(9100).build())
        .endSpec()
        .build();
  }

  @Test
  void aNamedTargetPortIsResolvedPerPodAndPodsWithoutItLeaveThatPortOut() {
    var desired =
        DesiredSlices.forService(
            service(new IntOrString("web")),
            List.of(
                pod("a", "10.32.0.1", true, Map.of("web", 8080)),
                pod("b", "10.32.0.2", true, Map.of("web", 9090)),
                pod("c", "10.32.0.3", true, Map.of())));
    SlicePort metrics = new SlicePort("metrics", "TCP", 9100, null);
    assertThat(desired)
        .containsOnlyKeys(
            new SliceShape("IPv4", List.of(new SlicePort("http", "TCP", 8080, null), metrics)),
            new SliceShape("IPv4", List.of(new SlicePort("http", "TCP", 9090, null), metrics)),
            new SliceShape("IPv4", List.of(metrics)));
    assertThat(
            desired.get(new SliceShape("IPv4", List.of(metrics))).stream()
                .map(e -> e.target().name()))
        .containsExactly("c");
  }

  @Test
  void aNumericTargetPortIsTakenAsIsAndAMissingOneIsThePort() {
    var desired =
        DesiredSlices.forService(
            service(new IntOrString(8080)), List.of(pod("a", "10.32.0.1", true, Map.of())));
    assertThat(desired.keySet())
        .containsExactly(
            new SliceShape(
                "IPv4",
                List.of(
                    new SlicePort("http", "TCP", 8080, null),
                    new SlicePort("metrics", "TCP", 9100, null))));
  }

  @Test
  void endpointsCarryReadinessNodeAndTargetAndOnlyAddressesOfTheirFamily() {
    Pod dual = pod("a", "10.32.0.1", false, Map.of());
    dual.getStatus().getPodIPs().add(new io.fabric8.kubernetes.api.model.PodIP("fd00::1"));
    Service svc = service(new IntOrString(8080));
    svc.getSpec().setIpFamilies(List.of("IPv6", "IPv4"));
    var desired = DesiredSlices.forService(svc, List.of(dual));
    assertThat(desired.keySet())
        .extracting(SliceShape::addressType)
        .containsExactly("IPv6", "IPv4");
    SliceEndpoint v6 = desired.values().iterator().next().get(0);
    assertThat(v6.addresses()).containsExactly("fd00::1");
    assertThat(v6.ready()).isFalse();
    assertThat(v6.serving()).isFalse();
    assertThat(v6.terminating()).isFalse();
    assertThat(v6.nodeName()).isEqualTo("node-1");
    assertThat(v6.target()).isEqualTo(new SliceEndpoint.Target("Pod", "default", "a", "uid-a"));
  }

  @Test
  void terminatingPodsAreNotReadyButStillServingAndFinishedOrAddresslessPodsAreLeftOut() {
    Pod terminating = pod("a", "10.32.0.1", true, Map.of());
    terminating.getMetadata().setDeletionTimestamp("2026-01-01T00:00:00Z");
    Pod finished = pod("b", "10.32.0.2", true, Map.of());
    finished.getStatus().setPhase("Succeeded");
    Pod pending = pod("c", "10.32.0.3", true, Map.of());
    pending.getStatus().setPodIPs(List.of());
    Pod elsewhere = pod("d", "10.32.0.4", true, Map.of());
    elsewhere.getMetadata().setNamespace("other");
    var desired =
        DesiredSlices.forService(
            service(new IntOrString(8080)), List.of(terminating, finished, pending, elsewhere));
    List<SliceEndpoint> all = desired.values().stream().flatMap(List::stream).toList();
    assertThat(all).hasSize(1);
    assertThat(all.get(0).ready()).isFalse();
    assertThat(all.get(0).serving()).isTrue();
    assertThat(all.get(0).terminating()).isTrue();
  }

  @Test
  void aHeadlessServiceWithoutFamiliesHasBothAddressTypes() {
    Service svc = service(new IntOrString(8080));
    svc.getSpec().setClusterIP("None");
    assertThat(DesiredSlices.addressTypes(svc.getSpec())).containsExactly("IPv4", "IPv6");
    assertThat(DesiredSlices.labels(svc))
        .containsEntry("service.kubernetes.io/headless", "")
        .containsEntry("kubernetes.io/service-name", "web")
        .containsEntry("endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io");
  }

  @Test
  void mirroredEndpointsKeepReadinessPerAddressAndSplitByFamily() {
    var endpoints =
        new EndpointsBuilder()
            .withNewMetadata()
            .withName("ext")
            .withNamespace("default")
            .endMetadata()
            .addNewSubset()
            .addNewAddress()
            .withIp("192.168.0.1")
            .endAddress()
            .addNewAddress()
            .withIp("fd00::9")
            .endAddress()
            .addNewNotReadyAddress()
            .withIp("192.168.0.2")
            .endNotReadyAddress()
            .addNewPort()
            .withName("db")
            .withPort(5432)
            .endPort()
            .endSubset()
            .build();
    var desired = DesiredSlices.mirrored(endpoints);
    SlicePort db = new SlicePort("db", "TCP", 5432, null);
    var v4 = desired.get(new SliceShape("IPv4", List.of(db)));
    assertThat(v4)
        .extracting(e -> e.addresses().get(0))
        .containsExactly("192.168.0.1", "192.168.0.2");
    assertThat(v4).extracting(SliceEndpoint::ready).containsExactly(true, false);
    assertThat(desired.get(new SliceShape("IPv6", List.of(db)))).hasSize(1);
    assertThat(DesiredSlices.mirroredLabels(endpoints))
        .containsEntry(
            "endpointslice.kubernetes.io/managed-by", "endpointslicemirroring-controller.k8s.io");
  }
}
