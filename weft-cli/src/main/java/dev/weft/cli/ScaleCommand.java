package dev.weft.cli;

import dev.weft.kube.ClusterConfig;
import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.model.ObjectType;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code weft scale}: the scale harness. Starts Weft on the embedded cluster with a fresh SQLite
 * store, creates N namespaces (every tenth isolated) and M pods spread over them, and reports how
 * long Weft took to converge and how big the store became.
 */
@Command(
    name = "scale",
    description = "Scale harness: create N namespaces and M pods, report time to converge.")
final class ScaleCommand implements Callable<Integer> {
  @Option(
      names = "--namespaces",
      defaultValue = "100",
      description = "Namespaces (default: ${DEFAULT-VALUE})")
  int namespaces;

  @Option(names = "--pods", defaultValue = "2000", description = "Pods (default: ${DEFAULT-VALUE})")
  int pods;

  @Option(
      names = "--workers",
      defaultValue = "8",
      description = "Reconcile workers (default: ${DEFAULT-VALUE})")
  int workers;

  @Option(
      names = "--clients",
      defaultValue = "8",
      description = "Threads creating objects (default: ${DEFAULT-VALUE})")
  int clients;

  @Option(names = "--data-dir", description = "Data directory (default: a new temporary one)")
  Path dataDir;

  @Override
  public Integer call() throws Exception {
    Path dir = dataDir != null ? dataDir : Files.createTempDirectory("weft-scale");
    System.out.printf(
        "scale: %d namespaces, %d pods, %d workers, data in %s%n", namespaces, pods, workers, dir);
    try (WeftServer server =
        WeftServer.start(
            new WeftServer.Options(
                dir,
                "127.0.0.1",
                0,
                null,
                0,
                null,
                ClusterConfig.defaults(),
                List.of("node-1", "node-2"),
                workers))) {
      KubernetesClient client = server.client();
      ExecutorService pool = Executors.newFixedThreadPool(clients);
      long t0 = System.nanoTime();
      List<Future<?>> work = new ArrayList<>();
      for (int i = 0; i < namespaces; i++) {
        int n = i;
        work.add(
            pool.submit(
                () ->
                    client
                        .resource(
                            new NamespaceBuilder()
                                .withNewMetadata()
                                .withName(ns(n))
                                .withAnnotations(
                                    n % 10 == 9
                                        ? Map.of(KubeAnnotations.ISOLATION, "true")
                                        : Map.of())
                                .endMetadata()
                                .build())
                        .create()));
      }
      for (Future<?> f : work) {
        f.get();
      }
      work.clear();
      for (int i = 0; i < pods; i++) {
        int p = i;
        work.add(pool.submit(() -> client.resource(pod(ns(p % namespaces), "pod-" + p)).create()));
      }
      for (Future<?> f : work) {
        f.get();
      }
      pool.shutdown();
      long created = System.nanoTime();
      System.out.printf(
          "scale: created %d namespaces and %d pods in %.1f s%n",
          namespaces, pods, (created - t0) / 1e9);
      // Converged: every pod has its address in the store and the kube-manager has nothing left.
      while (server.objects().cache().count(ObjectType.INSTANCE_IP) < pods
          || !server.manager().awaitIdle(java.time.Duration.ofMillis(200))) {
        Thread.sleep(50);
      }
      long converged = System.nanoTime();
      long annotated =
          client.pods().inAnyNamespace().list().getItems().stream()
              .filter(
                  p ->
                      p.getMetadata().getAnnotations() != null
                          && p.getMetadata()
                              .getAnnotations()
                              .containsKey(KubeAnnotations.NETWORK_STATUS))
              .count();
      long keys = server.store().range("/").kvs().size();
      long bytes;
      try (Stream<Path> files = Files.list(dir)) {
        bytes =
            files
                .filter(f -> f.getFileName().toString().startsWith("weft.db"))
                .mapToLong(f -> f.toFile().length())
                .sum();
      }
      System.out.printf(
          "scale: converged %.1f s after the first create (%.1f s after the last); %.0f pods/s%n",
          (converged - t0) / 1e9, (converged - created) / 1e9, pods / ((converged - t0) / 1e9));
      System.out.printf(
          "scale: %d pods annotated with network-status; store: revision %d, %d keys, %.1f MiB on disk;"
              + " objects: %d virtual networks, %d virtual machines, %d interfaces, %d instance IPs%n",
          annotated,
          server.store().revision(),
          keys,
          bytes / 1048576.0,
          server.objects().cache().count(ObjectType.VIRTUAL_NETWORK),
          server.objects().cache().count(ObjectType.VIRTUAL_MACHINE),
          server.objects().cache().count(ObjectType.VIRTUAL_MACHINE_INTERFACE),
          server.objects().cache().count(ObjectType.INSTANCE_IP));
      return annotated == pods ? 0 : 1;
    }
  }

  private static String ns(int i) {
    return "ns-" + i;
  }

  private static Pod pod(String ns, String name) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .addToLabels("app", "scale")
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("c")
        .withImage("nginx")
        .endContainer()
        .endSpec()
        .build();
  }
}
