package dev.weft.cli;

import dev.weft.kube.ClusterConfig;
import dev.weft.kube.embedded.EmbeddedKubernetes;
import dev.weft.kube.embedded.StandIns;
import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.model.ObjectType;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
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

  @Option(
      names = "--live",
      description =
          "Create the objects while Weft runs (default: create them first, then start Weft"
              + " against the populated cluster and time its convergence)")
  boolean live;

  @Override
  public Integer call() throws Exception {
    Path dir = dataDir != null ? dataDir : Files.createTempDirectory("weft-scale");
    System.out.printf(
        "scale: %d namespaces (every tenth isolated), %d pods, %d workers, %s, data in %s%n",
        namespaces, pods, workers, live ? "live" : "cold start against a populated cluster", dir);
    try (EmbeddedKubernetes api = EmbeddedKubernetes.start(0, dir);
        KubernetesClient client = api.newClient();
        KubernetesClient standInClient = api.newClient();
        StandIns standIns =
            new StandIns(standInClient, List.of("node-1", "node-2"), Clock.systemUTC())) {
      standIns.start();
      WeftServer server = live ? start(dir, api) : null;
      long t0 = System.nanoTime();
      create(client);
      long created = System.nanoTime();
      System.out.printf(
          "scale: created %d namespaces and %d pods in %.1f s (%.0f pods/s through the embedded API)%n",
          namespaces, pods, (created - t0) / 1e9, pods / ((created - t0) / 1e9));
      long from = t0;
      if (server == null) {
        standIns.awaitIdle(java.time.Duration.ofMinutes(5));
        from = System.nanoTime();
        server = start(dir, api);
      }
      try {
        return report(server, client, dir, from, created);
      } finally {
        server.close();
        // Workers, then the API, then the watches (see WeftServer#close).
        standIns.stopWorkers();
        api.close();
      }
    }
  }

  private WeftServer start(Path dir, EmbeddedKubernetes api) throws Exception {
    return WeftServer.start(
        new WeftServer.Options(
            dir,
            "127.0.0.1",
            0,
            api.kubeconfig(),
            0,
            null,
            ClusterConfig.defaults(),
            List.of(),
            workers));
  }

  private void create(KubernetesClient client) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
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
    } finally {
      pool.shutdown();
    }
  }

  private int report(WeftServer server, KubernetesClient client, Path dir, long from, long created)
      throws Exception {
    var cache = server.objects().cache();
    while (cache.count(ObjectType.INSTANCE_IP) < pods
        || cache.count(ObjectType.VIRTUAL_MACHINE_INTERFACE) < pods) {
      Thread.sleep(20);
    }
    long stored = System.nanoTime();
    while (!server.manager().awaitIdle(java.time.Duration.ofSeconds(1))) {
      Thread.sleep(20);
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
    String since = live ? "the first create" : "Weft started";
    System.out.printf(
        "scale: every pod's objects in the store %.1f s after %s (%.0f pods/s)%n",
        (stored - from) / 1e9, since, pods / ((stored - from) / 1e9));
    System.out.printf(
        "scale: converged (every network-status annotation written, queues idle) %.1f s after %s%s%n",
        (converged - from) / 1e9,
        since,
        live ? String.format(" (%.1f s after the last create)", (converged - created) / 1e9) : "");
    System.out.printf(
        "scale: %d of %d pods annotated; store: revision %d, %d keys, %.1f MiB on disk;"
            + " objects: %d virtual networks, %d virtual machines, %d interfaces, %d instance IPs%n",
        annotated,
        pods,
        server.store().revision(),
        keys,
        bytes / 1048576.0,
        cache.count(ObjectType.VIRTUAL_NETWORK),
        cache.count(ObjectType.VIRTUAL_MACHINE),
        cache.count(ObjectType.VIRTUAL_MACHINE_INTERFACE),
        cache.count(ObjectType.INSTANCE_IP));
    return annotated == pods ? 0 : 1;
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
