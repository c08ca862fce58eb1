package dev.weft.kube.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.kube.embedded.EmbeddedKubernetes;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link InformerBarrier} against the embedded API: it waits for the handlers, not the informers'
 * stores, which fabric8 updates before it runs the handlers.
 */
class InformerBarrierTest {
  private static final Duration SHORT = Duration.ofMillis(300);
  private static final Duration LONG = Duration.ofSeconds(20);

  private final EmbeddedKubernetes api = EmbeddedKubernetes.start(0, null);
  private final KubernetesClient client = api.newClient();
  private final InformerBarrier barrier = new InformerBarrier();
  private final CountDownLatch release = new CountDownLatch(1);
  private final Set<String> holdAdds = ConcurrentHashMap.newKeySet();
  private final Set<String> holdDeletes = ConcurrentHashMap.newKeySet();
  private final Set<String> handled = ConcurrentHashMap.newKeySet();
  private SharedIndexInformer<Pod> pods;
  private SharedIndexInformer<io.fabric8.kubernetes.api.model.Namespace> namespaces;

  @BeforeEach
  void start() throws Exception {
    pods = barrier.register("Pod", client.pods().inAnyNamespace(), handler());
    namespaces =
        barrier.register(
            "Namespace",
            client.namespaces(),
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(io.fabric8.kubernetes.api.model.Namespace ns) {}

              @Override
              public void onUpdate(
                  io.fabric8.kubernetes.api.model.Namespace before,
                  io.fabric8.kubernetes.api.model.Namespace after) {}

              @Override
              public void onDelete(
                  io.fabric8.kubernetes.api.model.Namespace ns, boolean finalStateUnknown) {}
            });
    pods.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
    namespaces.start().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterEach
  void stop() {
    // Handlers must not be left blocked; then the API before the watches (see Cluster#close).
    release.countDown();
    api.close();
    pods.close();
    namespaces.close();
    client.close();
  }

  /** Records each pod it has handled; holds the pods named in holdAdds / holdDeletes. */
  private ResourceEventHandler<Pod> handler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        hold(holdAdds, pod);
        handled.add(pod.getMetadata().getName());
      }

      @Override
      public void onUpdate(Pod before, Pod after) {}

      @Override
      public void onDelete(Pod pod, boolean finalStateUnknown) {
        hold(holdDeletes, pod);
        handled.remove(pod.getMetadata().getName());
      }

      private void hold(Set<String> names, Pod pod) {
        if (names.contains(pod.getMetadata().getName())) {
          try {
            release.await();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    };
  }

  private void pod(String name) {
    client
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

  @Test
  void everyObjectCreatedJustBeforeTheCallHasBeenHandledWhenItReturns() throws Exception {
    for (int round = 0; round < 20; round++) {
      String name = "p" + round;
      pod(name);
      client
          .resource(
              new NamespaceBuilder().withNewMetadata().withName("ns" + round).endMetadata().build())
          .create();
      assertThat(barrier.awaitCaughtUp(LONG)).isEmpty();
      assertThat(handled).contains(name);
      client.pods().inNamespace("default").withName(name).delete();
      assertThat(barrier.awaitCaughtUp(LONG)).isEmpty();
      assertThat(handled).doesNotContain(name);
    }
  }

  @Test
  void anObjectInTheInformerStoreWhoseHandlerHasNotReturnedHoldsTheBarrier() throws Exception {
    holdAdds.add("slow");
    pod("slow");
    await().atMost(LONG).until(() -> pods.getStore().getByKey("default/slow") != null);

    Map<String, String> behind = barrier.awaitCaughtUp(SHORT);
    assertThat(behind).containsOnlyKeys("Pod");
    assertThat(behind.get("Pod"))
        .isEqualTo(
            "Pod: 1 listed object not yet handled at the listed version: default/slow (listed at "
                + pods.getStore().getByKey("default/slow").getMetadata().getResourceVersion()
                + ", not handled)");

    release.countDown();
    assertThat(barrier.awaitCaughtUp(LONG)).isEmpty();
    assertThat(handled).contains("slow");
  }

  @Test
  void anObjectDeletedBeforeTheCallHoldsTheBarrierUntilItsDeletionIsHandled() throws Exception {
    pod("gone");
    assertThat(barrier.awaitCaughtUp(LONG)).isEmpty();
    holdDeletes.add("gone");
    client.pods().inNamespace("default").withName("gone").delete();
    await().atMost(LONG).until(() -> pods.getStore().getByKey("default/gone") == null);

    Map<String, String> behind = barrier.awaitCaughtUp(SHORT);
    assertThat(behind).containsOnlyKeys("Pod");
    assertThat(behind.get("Pod")).contains("default/gone", "deletion is not yet handled");

    release.countDown();
    assertThat(barrier.awaitCaughtUp(LONG)).isEmpty();
    assertThat(handled).doesNotContain("gone");
  }

  @Test
  void anApiThatCannotBeListedMakesItGiveUpByTheDeadline() throws Exception {
    api.close();
    long start = System.nanoTime();
    // fabric8 retries a refused connection for longer than this: the wait must not follow it.
    Map<String, String> behind = barrier.awaitCaughtUp(Duration.ofSeconds(2));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    assertThat(behind).containsOnlyKeys("Namespace", "Pod");
    assertThat(behind.get("Pod"))
        .containsAnyOf(
            "the list from the Kubernetes API did not finish within PT2S",
            "cannot list from the Kubernetes API");
  }
}
