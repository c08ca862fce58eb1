package dev.weft.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.model.IpPrefix;
import dev.weft.model.ObjectType;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ExhaustionTest {
  private Cluster cluster;

  @BeforeEach
  void start() throws Exception {
    // A /29 holds 5 pod addresses (network, gateway and broadcast are never given).
    cluster =
        new Cluster(
            ClusterConfig.defaults().withPodSubnets(List.of(IpPrefix.parse("10.32.0.0/29"))));
  }

  @AfterEach
  void stop() {
    cluster.close();
  }

  private void pod(String name) {
    cluster.createPod("default", name, Map.of(), false);
  }

  private String ip(String name) {
    Pod p = cluster.client.pods().inNamespace("default").withName(name).get();
    return p == null || p.getStatus() == null ? null : p.getStatus().getPodIP();
  }

  @Test
  void exhaustedPodSubnetGivesAnEventLeavesNoHalfMadeObjectsAndRecoversOnRelease() {
    for (int i = 0; i < 6; i++) {
      pod("p" + i);
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () ->
                cluster.client.v1().events().inNamespace("default").list().getItems().stream()
                    .anyMatch(e -> "AddressExhausted".equals(e.getReason())));
    await().until(() -> cluster.store.cache().count(ObjectType.INSTANCE_IP) == 5);
    String waiting =
        cluster.client.v1().events().inNamespace("default").list().getItems().stream()
            .filter(e -> "AddressExhausted".equals(e.getReason()))
            .findFirst()
            .orElseThrow()
            .getInvolvedObject()
            .getName();
    assertThat(cluster.store.cache().count(ObjectType.VIRTUAL_MACHINE)).isEqualTo(5);
    assertThat(cluster.store.cache().count(ObjectType.VIRTUAL_MACHINE_INTERFACE)).isEqualTo(5);
    assertThat(ip(waiting)).isNull();

    String victim = waiting.equals("p0") ? "p1" : "p0";
    String freed = ip(victim);
    cluster.client.pods().inNamespace("default").withName(victim).delete();
    await().until(() -> freed.equals(ip(waiting)));
  }
}
