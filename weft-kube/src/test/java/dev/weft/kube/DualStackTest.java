package dev.weft.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpPrefix;
import dev.weft.model.ObjectType;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodIP;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DualStackTest {
  private Cluster cluster;

  @BeforeEach
  void start() throws Exception {
    cluster =
        new Cluster(
            ClusterConfig.defaults()
                .withPodSubnets(
                    List.of(IpPrefix.parse("10.32.0.0/12"), IpPrefix.parse("fd00:10:32::/64"))));
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private Pod get(String name) {
    return cluster.client.pods().inNamespace("default").withName(name).get();
  }

  @Test
  void podsGetOneAddressPerFamilyFromADualStackPodSubnet() {
    cluster.createPod("default", "dual", Map.of(), false);
    await()
        .until(
            () ->
                get("dual").getStatus() != null
                    && get("dual").getStatus().getPodIPs() != null
                    && get("dual").getStatus().getPodIPs().size() == 2);
    List<String> ips = get("dual").getStatus().getPodIPs().stream().map(PodIP::getIp).toList();
    assertThat(IpPrefix.parse("10.32.0.0/12").contains(ips.get(0))).isTrue();
    assertThat(IpPrefix.parse("fd00:10:32::/64").contains(ips.get(1))).isTrue();
    assertThat(get("dual").getMetadata().getAnnotations().get(KubeAnnotations.NETWORK_STATUS))
        .contains("\"ips\":[\"" + ips.get(0) + "\",\"" + ips.get(1) + "\"]");
    assertThat(cluster.store.cache().<InstanceIp>list(ObjectType.INSTANCE_IP))
        .extracting(s -> s.object().family().wire())
        .containsExactlyInAnyOrder("v4", "v6");
  }

  @Test
  void aFixedAddressIsHonouredAndAnImpossibleOneIsRefusedWithAnEvent() {
    cluster.createPod(
        "default", "fixed", Map.of(KubeAnnotations.IP_ADDRESS, "10.32.5.5,fd00:10:32::55"), false);
    cluster.createPod(
        "default", "outside", Map.of(KubeAnnotations.IP_ADDRESS, "192.168.1.1"), false);
    await()
        .until(
            () ->
                get("fixed").getStatus() != null
                    && "10.32.5.5".equals(get("fixed").getStatus().getPodIP()));
    assertThat(get("fixed").getStatus().getPodIPs())
        .extracting(PodIP::getIp)
        .containsExactly("10.32.5.5", "fd00:10:32::55");
    await()
        .until(
            () ->
                cluster.client.v1().events().inNamespace("default").list().getItems().stream()
                    .anyMatch(
                        e ->
                            "outside".equals(e.getInvolvedObject().getName())
                                && "AddressUnavailable".equals(e.getReason())));
    var event =
        cluster.client.v1().events().inNamespace("default").list().getItems().stream()
            .filter(e -> "outside".equals(e.getInvolvedObject().getName()))
            .findFirst()
            .orElseThrow();
    assertThat(event.getMessage()).contains("192.168.1.1").contains("outside subnets");
    assertThat(cluster.store.cache().count(ObjectType.VIRTUAL_MACHINE)).isEqualTo(1);
  }
}
