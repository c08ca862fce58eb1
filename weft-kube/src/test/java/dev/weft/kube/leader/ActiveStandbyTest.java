package dev.weft.kube.leader;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.kube.ClusterConfig;
import dev.weft.kube.KubeManager;
import dev.weft.kube.embedded.EmbeddedKubernetes;
import dev.weft.kube.embedded.StandIns;
import dev.weft.model.InstanceIp;
import dev.weft.model.ObjectType;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.Stored;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two kube-managers of one cluster on one store: one leads and reconciles, the other keeps warm
 * caches and writes nothing; the standby takes over when the leader stops; a leader that goes on
 * believing it leads after a successor took over writes nothing.
 */
class ActiveStandbyTest {
  private final ClusterConfig config = ClusterConfig.defaults();
  private final EmbeddedKubernetes api = EmbeddedKubernetes.start(0, null);
  private final KubernetesClient client = api.newClient();
  private final KubernetesClient standInClient = api.newClient();
  private final StandIns standIns =
      new StandIns(
          standInClient, List.of("node-1", "node-2"), config.serviceSubnets(), Clock.systemUTC());
  private final MemoryConfigStore kv = new MemoryConfigStore();
  private final List<Candidate> candidates = new ArrayList<>();

  static {
    org.awaitility.Awaitility.setDefaultTimeout(Duration.ofSeconds(20));
    org.awaitility.Awaitility.setDefaultPollInterval(Duration.ofMillis(20));
  }

  /** One kube-manager process, as far as this test goes. */
  private final class Candidate {
    final ObjectStore store = new ObjectStore(kv);
    final Ipam ipam = new Ipam(kv);
    final KubernetesClient client = api.newClient();
    final StoreFence fence = new StoreFence(store);
    final KubeManager manager =
        new KubeManager(client, store, ipam, config, 2, null, Clock.systemUTC(), fence);
    final ActiveStandby election;

    Candidate(String identity) throws InterruptedException {
      manager.startInformers();
      election =
          ActiveStandby.start(
              client,
              manager,
              fence,
              new LeaderElectionConfig(
                  "kube-system",
                  "weft-kube-manager",
                  identity,
                  Duration.ofSeconds(2),
                  Duration.ofMillis(1500),
                  Duration.ofMillis(100)),
              Clock.systemUTC());
      candidates.add(this);
    }

    boolean leads() {
      return election.status().leader() && manager.leading();
    }
  }

  ActiveStandbyTest() throws InterruptedException {
    standIns.start();
  }

  @AfterEach
  void close() {
    // Work first, while the API answers; then the API; then the watches (see Cluster#close).
    candidates.forEach(c -> c.manager.stopWorkers());
    candidates.forEach(c -> c.election.close());
    standIns.stopWorkers();
    api.close();
    for (Candidate c : candidates) {
      c.manager.close();
      c.client.close();
      c.ipam.close();
      c.store.close();
    }
    standIns.close();
    standInClient.close();
    client.close();
    kv.close();
  }

  private void pod(String name) {
    client
        .pods()
        .inNamespace("default")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace("default")
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

  private List<String> addresses(String pod) {
    try (ObjectStore view = new ObjectStore(kv)) {
      return view.cache().<InstanceIp>list(ObjectType.INSTANCE_IP).stream()
          .map(Stored::object)
          .filter(ip -> ip.fqName().toString().endsWith("__default__" + pod))
          .map(InstanceIp::address)
          .toList();
    }
  }

  @Test
  void onlyTheLeaderReconcilesAndTheStandbyTakesOverWhenTheLeaderStops() throws Exception {
    Candidate a = new Candidate("a");
    assertThat(a.election.awaitLeading(Duration.ofSeconds(10))).isTrue();
    Candidate b = new Candidate("b");
    await().until(() -> b.election.status().holder().equals("a"));
    pod("p1");
    await().until(() -> addresses("p1").size() == 1);
    String p1 = addresses("p1").get(0);
    assertThat(b.leads()).isFalse();
    assertThat(b.manager.queueDepth()).isPositive(); // warm: it sees the changes, and waits
    assertThat(a.election.status().epoch()).isEqualTo(1);

    // A clean stop releases the Lease: no waiting for it to expire.
    long stopped = System.nanoTime();
    a.manager.stopWorkers();
    a.election.close();
    assertThat(b.election.awaitLeading(Duration.ofSeconds(5))).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - stopped)).isLessThan(Duration.ofSeconds(2));
    pod("p2");
    await().until(() -> addresses("p2").size() == 1);
    assertThat(addresses("p1")).containsExactly(p1);
    assertThat(b.election.status().epoch()).isEqualTo(2);
    assertThat(kv.range(Ipam.PREFIX).kvs()).hasSize(2);
  }

  @Test
  void leaderThatStillBelievesItLeadsAfterATakeOverWritesNothing() throws Exception {
    Candidate a = new Candidate("a");
    assertThat(a.election.awaitLeading(Duration.ofSeconds(10))).isTrue();
    Candidate b = new Candidate("b");
    pod("p1");
    await().until(() -> addresses("p1").size() == 1);

    // a's renewals stall while its workers go on: b takes over once the lease expires.
    a.election.elector().stall();
    assertThat(b.election.awaitLeading(Duration.ofSeconds(10))).isTrue();
    assertThat(a.manager.leading()).isTrue();
    // The window between b's take-over and its first reconcile: only a would write now.
    b.manager.standBy();
    pod("p2");
    // a's commit fails at the fence; a stops leading.
    await().until(() -> !a.manager.leading());
    assertThat(a.fence.held()).isFalse();
    assertThat(addresses("p2")).isEmpty();

    b.manager.lead();
    await().until(() -> addresses("p2").size() == 1);
    assertThat(kv.range(Ipam.PREFIX).kvs()).hasSize(2);
  }
}
