package dev.weft.kube;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.model.ConfigObject;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpPrefix;
import dev.weft.model.ObjectType;
import dev.weft.store.objects.Stored;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link KubeManager#awaitProcessed}: changes made just before the call are in the store at the
 * revision it returns, without sleeping, and it says when and why it gives up.
 */
class AwaitProcessedTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  private static final String DEFAULT_NETWORK =
      "default-domain:k8s-default:k8s-default-pod-network";

  private Cluster cluster;

  @AfterEach
  void stop() {
    if (cluster != null) {
      cluster.close();
    }
  }

  private void namespace(String name, boolean isolated) {
    cluster
        .client
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withAnnotations(isolated ? Map.of(KubeAnnotations.ISOLATION, "true") : Map.of())
                .endMetadata()
                .build())
        .createOr(Cluster::updateRetrying);
  }

  private static String isolatedNetwork(String ns) {
    return "default-domain:k8s-" + ns + ":k8s-" + ns + "-pod-network";
  }

  private Processed barrier() throws InterruptedException {
    Processed p = cluster.manager.awaitProcessed(TIMEOUT);
    assertThat(p.reached()).as(p.describe()).isTrue();
    assertThat(p.storeRevision()).isLessThanOrEqualTo(cluster.store.cache().revision());
    return p;
  }

  private List<Stored<ConfigObject>> owned(String ns, String pod) {
    return cluster.store.cache().ownedBy("Pod/" + ns + "/" + pod);
  }

  private Optional<InstanceIp> address(String ns, String pod, long atOrBefore) {
    List<Stored<ConfigObject>> objects = owned(ns, pod);
    List<ObjectType> types = objects.stream().map(s -> s.object().type()).toList();
    if (!types.containsAll(
        List.of(
            ObjectType.VIRTUAL_MACHINE,
            ObjectType.VIRTUAL_MACHINE_INTERFACE,
            ObjectType.INSTANCE_IP))) {
      return Optional.empty();
    }
    // The address is written in the transaction that creates the machine and its interface, and
    // rewritten when the pod moves: its revision says when the pod got its current placement.
    return objects.stream()
        .filter(s -> s.object() instanceof InstanceIp && s.modRevision() <= atOrBefore)
        .map(s -> (InstanceIp) s.object())
        .findFirst();
  }

  /** Asserts each pod is placed on {@code network} in the store at {@code revision}. */
  private void assertPlaced(String ns, List<String> pods, String network, long revision) {
    for (String pod : pods) {
      Optional<InstanceIp> ip = address(ns, pod, revision);
      assertThat(ip)
          .as("pod %s/%s placed at store revision %d: %s", ns, pod, revision, owned(ns, pod))
          .isPresent();
      assertThat(ip.get().virtualNetwork().to().toString()).as("%s/%s", ns, pod).isEqualTo(network);
    }
  }

  private List<String> networksOf(String ns) {
    return cluster.store.cache().list(ObjectType.VIRTUAL_NETWORK).stream()
        .map(s -> s.object().fqName().toString())
        .filter(fq -> fq.startsWith("default-domain:k8s-" + ns + ":"))
        .toList();
  }

  @Test
  void changesMadeJustBeforeTheCallAreInTheStoreAtTheRevisionItReturns() throws Exception {
    cluster = new Cluster(ClusterConfig.defaults());
    List<String> pods = List.of("a", "b", "c");
    for (int round = 0; round < 50; round++) {
      String ns = "round-" + round;
      boolean isolated = round % 2 == 0;

      // Create: an isolated namespace's pods wait for its network, woken when it is committed.
      namespace(ns, isolated);
      for (String pod : pods) {
        cluster.createPod(ns, pod, Map.of(), false);
      }
      Processed created = barrier();
      assertPlaced(
          ns, pods, isolated ? isolatedNetwork(ns) : DEFAULT_NETWORK, created.storeRevision());

      // Annotate: the pods move; to a new isolated network, they wait for it to be committed.
      namespace(ns, !isolated);
      Processed moved = barrier();
      assertPlaced(
          ns, pods, isolated ? DEFAULT_NETWORK : isolatedNetwork(ns), moved.storeRevision());
      // Its own networks exist exactly while it is isolated; when it stops being isolated their
      // deletion waits for the moving pods and is woken by the last one leaving.
      assertThat(networksOf(ns)).as(moved.describe()).hasSize(isolated ? 0 : 2);

      // Delete the pods, then the namespace: its objects go at once, as nothing uses them.
      for (String pod : pods) {
        cluster.client.pods().inNamespace(ns).withName(pod).delete();
      }
      Processed podsDeleted = barrier();
      for (String pod : pods) {
        assertThat(owned(ns, pod)).as("%s/%s after %s", ns, pod, podsDeleted.describe()).isEmpty();
      }
      cluster.client.namespaces().withName(ns).delete();
      Processed deleted = barrier();
      assertThat(cluster.store.cache().ownedBy("Namespace/" + ns)).as(deleted.describe()).isEmpty();
      assertThat(networksOf(ns)).isEmpty();
      assertThat(deleted.failingKeys()).isEmpty();
    }
  }

  @Test
  void podsThatCannotBePlacedAreReportedAndDoNotHoldTheBarrier() throws Exception {
    // A /29 holds 5 pod addresses (network, gateway and broadcast are never given).
    cluster =
        new Cluster(
            ClusterConfig.defaults().withPodSubnets(List.of(IpPrefix.parse("10.32.0.0/29"))));
    List<String> pods = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      pods.add("p" + i);
      cluster.createPod("default", "p" + i, Map.of(), false);
    }
    cluster.createPod(
        "default", "outside", Map.of(KubeAnnotations.IP_ADDRESS, "192.168.1.1"), false);

    Processed full = barrier();
    assertThat(full.failingKeys()).containsKey("Pod/default/outside");
    assertThat(full.failingKeys().get("Pod/default/outside")).startsWith("AddressUnavailable");
    List<String> exhausted =
        pods.stream().filter(p -> full.failingKeys().containsKey("Pod/default/" + p)).toList();
    assertThat(exhausted).as(full.describe()).hasSize(1);
    String waiting = exhausted.get(0);
    assertThat(full.failingKeys().get("Pod/default/" + waiting)).startsWith("AddressExhausted");
    List<String> placed = pods.stream().filter(p -> !p.equals(waiting)).toList();
    assertPlaced("default", placed, DEFAULT_NETWORK, full.storeRevision());
    assertThat(full.describe()).contains("2 keys failing", "Pod/default/" + waiting);

    // Freeing an address wakes the waiting pod: part of processing the deletion.
    cluster.client.pods().inNamespace("default").withName(placed.get(0)).delete();
    Processed freed = barrier();
    assertPlaced("default", List.of(waiting), DEFAULT_NETWORK, freed.storeRevision());
    assertThat(freed.failingKeys()).containsOnlyKeys("Pod/default/outside");
  }

  @Test
  void stoppedWorkersMakeItGiveUpAtOnceAndSaySo() throws Exception {
    cluster = new Cluster(ClusterConfig.defaults());
    barrier();
    cluster.manager.stopWorkers();
    cluster.createPod("default", "late", Map.of(), false);

    long start = System.nanoTime();
    Processed p = cluster.manager.awaitProcessed(TIMEOUT);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TIMEOUT.dividedBy(2));
    assertThat(p.reached()).isFalse();
    assertThat(p.reason()).contains("workers are stopped");
    assertThat(p.describe()).startsWith("gave up").contains("workers are stopped");
    assertThat(owned("default", "late")).isEmpty();
  }
}
