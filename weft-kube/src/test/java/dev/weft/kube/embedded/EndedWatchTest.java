package dev.weft.kube.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A watch that ends while events are queued for it (its client gone, as a killed kube-manager's
 * are) leaves the embedded API serving everyone else at once, and every write succeeding.
 */
class EndedWatchTest {
  private final EmbeddedKubernetes api = EmbeddedKubernetes.start(0, null);
  private final KubernetesClient writer = api.newClient();
  private final KubernetesClient watcher = api.newClient();

  @AfterEach
  void close() {
    api.close();
    writer.close();
    watcher.close();
  }

  private static ConfigMap map(String name) {
    return new ConfigMapBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("default")
        .endMetadata()
        .addToData("k", "v".repeat(2000))
        .build();
  }

  @Test
  void endedWatchDoesNotStallTheServerOrFailWrites() throws Exception {
    CompletableFuture<Void> first = new CompletableFuture<>();
    Watch watch =
        watcher
            .configMaps()
            .inNamespace("default")
            .watch(
                new Watcher<>() {
                  @Override
                  public void eventReceived(Action action, ConfigMap resource) {
                    first.complete(null);
                  }

                  @Override
                  public void onClose(WatcherException cause) {}
                });
    writer.resource(map("warm-up")).create();
    first.get(10, TimeUnit.SECONDS);
    // Events pile up for the watch; it ends in the middle of them.
    List<CompletableFuture<?>> writes = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      String name = "m" + i;
      writes.add(CompletableFuture.runAsync(() -> writer.resource(map(name)).create()));
    }
    watch.close();
    watcher.close();
    CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    long started = System.nanoTime();
    for (int i = 0; i < 20; i++) {
      writer.resource(map("after-" + i)).create();
    }
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    assertThat(writer.configMaps().inNamespace("default").list().getItems()).hasSize(221);
  }
}
