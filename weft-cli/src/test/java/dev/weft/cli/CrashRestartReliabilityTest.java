package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash and restart safety: random churn against a {@code weft kube-api} process while the
 * kube-manager, in a JVM of its own with its SQLite store, is killed with SIGKILL at random moments
 * (during start-up, during the take-over's resync, in steady state) and started again; then, once
 * it has converged, Kubernetes and the store must agree (see {@link StoreInvariants}), and no pod
 * whose network never changed may have been renumbered across the kills.
 *
 * <p>Killing the manager also kills the store's only writer in the middle of whatever it was
 * committing: with SQLite the store lives in the manager's process.
 *
 * <p>CI runs a few rounds; the full size is {@code -Dweft.reliability.rounds=50} (see the README,
 * "Reliability"). {@code -Dweft.reliability.seed=N} replays a seed a failure names.
 */
class CrashRestartReliabilityTest {
  private static final int ROUNDS = Integer.getInteger("weft.reliability.rounds", 6);
  private static final long SEED = Long.getLong("weft.reliability.seed", System.nanoTime());

  /** Short leases: a restarted manager waits out its predecessor's lease after every kill. */
  private static final List<String> FAST_ELECTION =
      List.of("--lease-duration", "2", "--renew-deadline", "1.5", "--retry-period", "0.25");

  @Test
  void killedKubeManagerConvergesWithoutDuplicateLeakedOrphanedOrRenumberedAddresses(
      @TempDir Path dir) throws Exception {
    long began = System.nanoTime();
    Random random = new Random(SEED);
    System.out.printf(
        "reliability: seed %d, %d rounds (logs in target/child-logs/%s)%n",
        SEED, ROUNDS, dir.getFileName());
    try (ReliabilityCluster cluster = new ReliabilityCluster(dir, FAST_ELECTION)) {
      Churn churn = new Churn(cluster.client, random.nextLong());
      churn.seed(2, 3);
      ChildWeft manager = cluster.startManager();
      String api = ReliabilityCluster.apiUrl(manager, Duration.ofSeconds(90));
      assertThat(manager.await(ReliabilityCluster.LEADS, Duration.ofSeconds(30))).isNotNull();
      cluster.createPublicPool(api);
      // Attached to a kubeconfig, the manager runs no stand-ins: they live in kube-api.
      assertThat(manager.saw(l -> l.contains("stand-ins"))).isFalse();

      AtomicBoolean churning = new AtomicBoolean(true);
      Random pace = new Random(random.nextLong());
      Thread churner =
          new Thread(
              () -> {
                while (churning.get()) {
                  churn.step();
                  pause(pace.nextInt(40));
                }
              },
              "churn");
      churner.start();

      Map<String, StoreInvariants.PodAddress> firstSeen = new HashMap<>();
      List<String> renumbered = new ArrayList<>();
      int kills = 0;
      long leadingNanos = 0;
      int takeovers = 0;
      try {
        for (int round = 1; round <= ROUNDS; round++) {
          if (!manager.alive()) {
            manager = cluster.startManager();
          }
          long launched = System.nanoTime();
          if (random.nextInt(10) < 3) {
            // Any moment from the JVM's start: loading, syncing informers, waiting for the lease,
            // taking the store fence.
            pause(random.nextInt(7000));
          } else if (manager.await(ReliabilityCluster.LEADS, Duration.ofSeconds(60)) != null) {
            leadingNanos += System.nanoTime() - launched;
            takeovers++;
            // During the take-over's resync, or in steady state under churn.
            pause(random.nextInt(1500));
          }
          manager.kill();
          kills++;
          checkNotRenumbered(cluster, churn, firstSeen, renumbered);
        }
      } finally {
        churning.set(false);
        churner.join();
      }

      manager = cluster.startManager();
      api = ReliabilityCluster.apiUrl(manager, Duration.ofSeconds(90));
      assertThat(manager.await(ReliabilityCluster.LEADS, Duration.ofSeconds(60))).isNotNull();
      // A cluster that does not settle, or a manager that does not converge, is reported with the
      // rest: what is wrong in the store says why.
      List<String> unsettled = new ArrayList<>(awaitClusterSettled(cluster));
      String finalApi = api;
      try {
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(200))
            .until(() -> cluster.converged(finalApi, Duration.ofSeconds(30)));
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        unsettled.add("the kube-manager did not converge: " + e.getMessage());
      }
      checkNotRenumbered(cluster, churn, firstSeen, renumbered);
      // Pod statuses follow Weft's network-status annotations a moment after the store does.
      try {
        await()
            .atMost(Duration.ofSeconds(30))
            .pollInterval(Duration.ofMillis(250))
            .until(
                () ->
                    !StoreInvariants.check(cluster.client, cluster.store(), "k8s")
                        .violations()
                        .containsKey(StoreInvariants.POD_ADDRESS));
      } catch (org.awaitility.core.ConditionTimeoutException e) {
        // Reported below with the rest.
      }
      StoreInvariants.Report report = StoreInvariants.check(cluster.client, cluster.store(), "k8s");

      renumbered.addAll(unsettled);
      int violations = report.violationCount() + renumbered.size();
      System.out.printf(
          "reliability: seed %d: %d rounds, %d kills (%d after taking over, %.1f s from launch to"
              + " leading on average), %d churn operations (%d refused by the API), %s;"
              + " %d pods tracked across kills; violations %d (renumbered %d)%s; %.0f s%n",
          SEED,
          ROUNDS,
          kills,
          takeovers,
          takeovers == 0 ? 0 : leadingNanos / 1e9 / takeovers,
          churn.operations,
          churn.refused,
          report.counts(),
          firstSeen.size(),
          violations,
          renumbered.size(),
          violations == 0 ? "" : "\n" + report.describe() + String.join("\n", renumbered),
          (System.nanoTime() - began) / 1e9);
      assertThat(report.violations()).as("seed %d", SEED).isEmpty();
      assertThat(renumbered).as("seed %d", SEED).isEmpty();
    }
  }

  /**
   * How long before a pod's creation an isolation change may still reach the kube-manager after the
   * pod: namespaces and pods come through separate watches, with no order between them, so a pod
   * created just after its namespace became isolated can first be placed in the old network and
   * then move (legitimately renumbered).
   */
  private static final long CROSS_WATCH_LAG_NANOS = Duration.ofSeconds(5).toNanos();

  /**
   * Pods whose namespace's isolation never changed in their life (nor just before it, see {@link
   * #CROSS_WATCH_LAG_NANOS}) keep the address they were first seen with, in every later look at the
   * store (isolation moves pods to another network).
   */
  private static void checkNotRenumbered(
      ReliabilityCluster cluster,
      Churn churn,
      Map<String, StoreInvariants.PodAddress> firstSeen,
      List<String> renumbered) {
    Map<String, List<StoreInvariants.PodAddress>> now =
        StoreInvariants.podAddresses(cluster.store());
    now.forEach(
        (uid, addresses) -> {
          for (StoreInvariants.PodAddress a : addresses) {
            String ns = a.pod().substring(0, a.pod().indexOf('/'));
            long created = churn.podCreated.getOrDefault(a.pod(), Long.MIN_VALUE);
            long toggled = churn.isolationChanged.getOrDefault(ns, Long.MIN_VALUE);
            String key = uid + "/" + (a.address().contains(":") ? "v6" : "v4");
            StoreInvariants.PodAddress first = firstSeen.putIfAbsent(key, a);
            if (first != null
                && !first.address().equals(a.address())
                && toggled < created - CROSS_WATCH_LAG_NANOS) {
              renumbered.add(
                  "renumbered: pod " + a.pod() + " (uid " + uid + ") " + first + " -> " + a);
            }
          }
        });
  }

  /**
   * Waits until every pod is bound and running (it runs once Weft gave it an address) and nothing
   * is left in a deleted namespace; returns what is still not so after two minutes.
   */
  private static List<String> awaitClusterSettled(ReliabilityCluster cluster) {
    List<String> unsettled = new ArrayList<>();
    try {
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(250))
          .until(
              () -> {
                unsettled.clear();
                Set<String> namespaces = new HashSet<>();
                cluster
                    .client
                    .namespaces()
                    .list()
                    .getItems()
                    .forEach(n -> namespaces.add(n.getMetadata().getName()));
                for (Pod p : cluster.client.pods().inAnyNamespace().list().getItems()) {
                  String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
                  if (!namespaces.contains(p.getMetadata().getNamespace())
                      || p.getSpec().getNodeName() == null
                      || !"Running".equals(phase)) {
                    unsettled.add(
                        "not settled: pod "
                            + p.getMetadata().getNamespace()
                            + "/"
                            + p.getMetadata().getName()
                            + " is "
                            + phase
                            + " on "
                            + p.getSpec().getNodeName());
                  }
                }
                cluster.client.services().inAnyNamespace().list().getItems().stream()
                    .filter(s -> !namespaces.contains(s.getMetadata().getNamespace()))
                    .forEach(
                        s ->
                            unsettled.add(
                                "not settled: service "
                                    + s.getMetadata().getName()
                                    + " in deleted namespace "
                                    + s.getMetadata().getNamespace()));
                return unsettled.isEmpty();
              });
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // Returned for the report.
    }
    return List.copyOf(unsettled);
  }

  /**
   * The random timing of a chaos test: when the kill lands is what is being varied, so this waits
   * on purpose (never to wait for a state).
   */
  private static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
