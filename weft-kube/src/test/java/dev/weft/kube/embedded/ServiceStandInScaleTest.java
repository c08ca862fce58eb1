package dev.weft.kube.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * How the service stand-ins cope with many services: run on purpose with {@code
 * -Dweft.standins.scale=SERVICES[xPODS]} (for example {@code 10000x10}); prints figures, asserts
 * only the outcome.
 */
@EnabledIfSystemProperty(named = "weft.standins.scale", matches = "\\d+(x\\d+)?")
class ServiceStandInScaleTest {

  @Test
  void everyServiceGetsAClusterIpAndItsPodsAsReadyEndpoints() throws Exception {
    String[] spec = System.getProperty("weft.standins.scale").split("x");
    int services = Integer.parseInt(spec[0]);
    int podsEach = spec.length > 1 ? Integer.parseInt(spec[1]) : 10;
    try (StandInCluster cluster = new StandInCluster()) {
      long t0 = System.nanoTime();
      ExecutorService clients = Executors.newFixedThreadPool(8);
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int thread = t;
        done.add(
            clients.submit(
                () -> {
                  for (int s = thread; s < services; s += 8) {
                    cluster
                        .client
                        .resource(
                            new ServiceBuilder()
                                .withNewMetadata()
                                .withName("svc-" + s)
                                .withNamespace("default")
                                .endMetadata()
                                .withNewSpec()
                                .addToSelector("app", "app-" + s)
                                .addNewPort()
                                .withName("http")
                                .withPort(80)
                                .withTargetPort(new IntOrString(8080))
                                .endPort()
                                .endSpec()
                                .build())
                        .create();
                    for (int p = 0; p < podsEach; p++) {
                      int n = s * podsEach + p;
                      cluster.pod(
                          "default",
                          "pod-" + n,
                          "10." + (32 + (n >> 16)) + "." + ((n >> 8) & 255) + "." + (n & 255),
                          Map.of("app", "app-" + s),
                          Map.of());
                    }
                  }
                  return null;
                }));
      }
      for (Future<?> f : done) {
        f.get();
      }
      clients.shutdown();
      long created = System.nanoTime();
      System.out.printf(
          "scale: created %d services and %d pods in %.1f s%n",
          services, services * podsEach, (created - t0) / 1e9);
      // Polled: a long awaitIdle rescans the whole backlog each time a key finishes, under the
      // queue's lock, which slows the workers it waits for.
      long deadline = System.nanoTime() + Duration.ofMinutes(30).toNanos();
      while (!cluster.standIns.awaitIdle(Duration.ZERO) && System.nanoTime() < deadline) {
        Thread.sleep(500);
      }
      assertThat(cluster.standIns.awaitIdle(Duration.ofSeconds(10))).isTrue();
      long idle = System.nanoTime();
      System.out.printf(
          "scale: stand-ins idle %.1f s after the last create (%.1f s in all)%n",
          (idle - created) / 1e9, (idle - t0) / 1e9);

      Map<String, Integer> ready = new HashMap<>();
      for (EndpointSlice s :
          cluster
              .client
              .discovery()
              .v1()
              .endpointSlices()
              .inNamespace("default")
              .withLabel(DesiredSlices.MANAGED_BY_LABEL, DesiredSlices.CONTROLLER)
              .list()
              .getItems()) {
        long n =
            s.getEndpoints().stream()
                .filter(e -> Boolean.TRUE.equals(e.getConditions().getReady()))
                .count();
        ready.merge(
            s.getMetadata().getLabels().get(DesiredSlices.SERVICE_NAME_LABEL),
            (int) n,
            Integer::sum);
      }
      assertThat(ready).hasSize(services);
      assertThat(ready.values()).allMatch(n -> n == podsEach);
      long withIp =
          cluster.client.services().inNamespace("default").list().getItems().stream()
              .filter(s -> s.getSpec().getClusterIP() != null)
              .map(s -> s.getSpec().getClusterIP())
              .distinct()
              .count();
      assertThat(withIp).isEqualTo(services);
    }
  }
}
