package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Active/standby: two {@code weft up --kubeconfig} processes on one SQLite data directory and one
 * {@code weft kube-api}. Both serve the config API; only the leader reconciles. Killing the leader
 * with SIGKILL lets the standby take over once the Lease expires; the figure is the time from the
 * kill until the standby has put a pod created right after the kill into the store, with the
 * default election timings. {@code -Dweft.failover.repeats=N} kills N leaders in turn.
 */
class KubeManagerFailoverTest {
  private static final int REPEATS = Integer.getInteger("weft.failover.repeats", 1);

  @Test
  void standbyConvergesAChangeMadeRightAfterTheLeaderIsKilledWithinFifteenSeconds(@TempDir Path dir)
      throws Exception {
    try (ReliabilityCluster cluster = new ReliabilityCluster(dir, List.of())) {
      var client = cluster.client;
      client
          .namespaces()
          .resource(new NamespaceBuilder().withNewMetadata().withName("fo").endMetadata().build())
          .create();
      createPod(cluster, "before");

      ChildWeft leader = cluster.startManager();
      String leaderApi = ReliabilityCluster.apiUrl(leader, Duration.ofSeconds(90));
      assertThat(leader.await(ReliabilityCluster.LEADS, Duration.ofSeconds(60))).isNotNull();
      ChildWeft standby = cluster.startManager();
      String standbyApi = ReliabilityCluster.apiUrl(standby, Duration.ofSeconds(90));

      List<Double> failovers = new ArrayList<>();
      for (int i = 1; i <= REPEATS; i++) {
        assertThat(cluster.converged(leaderApi, Duration.ofSeconds(60))).isTrue();
        JsonNode leading = cluster.get(leaderApi + "/status").path("kubeManager");
        JsonNode standing = cluster.get(standbyApi + "/status").path("kubeManager");
        assertThat(leading.path("leader").asBoolean()).isTrue();
        assertThat(standing.path("leader").asBoolean()).isFalse();
        assertThat(standing.path("holder").asText()).isEqualTo(leading.path("identity").asText());
        // The standby serves the API over the same store.
        assertThat(cluster.get(standbyApi + "/instance-ips").toString()).contains("before");
        long epoch = leading.path("fenceEpoch").asLong();

        leader.kill();
        long killed = System.nanoTime();
        String pod = "after-kill-" + i;
        createPod(cluster, pod);
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(50))
            .until(
                () ->
                    StoreInvariants.podAddresses(cluster.store()).values().stream()
                        .flatMap(List::stream)
                        .anyMatch(a -> a.pod().equals("fo/" + pod)));
        double seconds = (System.nanoTime() - killed) / 1e9;
        failovers.add(seconds);
        JsonNode now = cluster.get(standbyApi + "/status").path("kubeManager");
        assertThat(now.path("leader").asBoolean()).isTrue();
        assertThat(now.path("fenceEpoch").asLong()).isGreaterThan(epoch);
        System.out.printf(
            "failover %d: leader killed; the standby had the pod created right after in the store"
                + " %.1f s later (fence epoch %d -> %d)%n",
            i, seconds, epoch, now.path("fenceEpoch").asLong());

        // The killed one comes back as the standby.
        leader = standby;
        leaderApi = standbyApi;
        standby = cluster.startManager();
        standbyApi = ReliabilityCluster.apiUrl(standby, Duration.ofSeconds(90));
      }

      assertThat(cluster.converged(leaderApi, Duration.ofSeconds(60))).isTrue();
      StoreInvariants.Report report = StoreInvariants.check(client, cluster.store(), "k8s");
      double worst = failovers.stream().mapToDouble(Double::doubleValue).max().orElse(0);
      System.out.printf(
          "failover: %d kills of the leader, standby converged in %s s (worst %.1f s);"
              + " violations %d%n",
          REPEATS,
          failovers.stream().map(s -> String.format("%.1f", s)).toList(),
          worst,
          report.violationCount());
      assertThat(report.violations()).isEmpty();
      assertThat(worst).isLessThan(15.0);
    }
  }

  private static void createPod(ReliabilityCluster cluster, String name) {
    cluster
        .client
        .pods()
        .inNamespace("fo")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("fo")
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("c")
                .withImage("nginx")
                .endContainer()
                .endSpec()
                .build())
        .create();
  }
}
