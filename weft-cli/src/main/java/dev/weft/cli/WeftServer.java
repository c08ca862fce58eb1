package dev.weft.cli;

import dev.weft.api.ConfigApiServer;
import dev.weft.api.reach.Convergence;
import dev.weft.api.reach.Reachability;
import dev.weft.control.Compiler;
import dev.weft.kube.ClusterConfig;
import dev.weft.kube.KubeManager;
import dev.weft.kube.Processed;
import dev.weft.kube.embedded.EmbeddedKubernetes;
import dev.weft.kube.embedded.StandIns;
import dev.weft.store.ConfigStore;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.sqlite.SqliteConfigStore;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * Everything {@code weft up} runs, assembled in dependency order and closed in reverse: the store,
 * the embedded Kubernetes API and its stand-ins (unless attached to a cluster), the kube-manager
 * and the config API.
 */
public final class WeftServer implements AutoCloseable {
  /** What to run. {@code kubeconfig} null: host the embedded Kubernetes API. */
  public record Options(
      Path dataDir,
      String host,
      int port,
      Path kubeconfig,
      int kubePort,
      String store,
      ClusterConfig cluster,
      List<String> nodes,
      int workers) {}

  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final Options options;
  private ObjectStore objects;
  private KubeManager manager;
  private Compiler compiler;
  private ConfigApiServer api;
  private EmbeddedKubernetes embedded;
  private StandIns standIns;
  private KubernetesClient client;
  private ConfigStore store;

  private WeftServer(Options options) {
    this.options = options;
  }

  /** Starts everything; on failure closes what was started and rethrows. */
  public static WeftServer start(Options options) throws Exception {
    WeftServer server = new WeftServer(options);
    try {
      server.startAll();
      return server;
    } catch (Exception | Error e) {
      server.close();
      throw e;
    }
  }

  private void startAll() throws Exception {
    Files.createDirectories(options.dataDir());
    store = openStore(options.store(), options.dataDir());
    resources.push(store);
    objects = new ObjectStore(store);
    resources.push(objects);
    Ipam ipam = new Ipam(store);
    resources.push(ipam);
    Clock clock = Clock.systemUTC();
    if (options.kubeconfig() == null) {
      embedded = EmbeddedKubernetes.start(options.kubePort(), options.dataDir());
      resources.push(embedded);
      KubernetesClient standInClient = embedded.newClient();
      resources.push(standInClient);
      standIns =
          new StandIns(standInClient, options.nodes(), options.cluster().serviceSubnets(), clock);
      resources.push(standIns);
      standIns.start();
      client = embedded.newClient();
    } else {
      String text = Files.readString(options.kubeconfig(), StandardCharsets.UTF_8);
      client = new KubernetesClientBuilder().withConfig(Config.fromKubeconfig(text)).build();
    }
    resources.push(client);
    MeterRegistry registry = new SimpleMeterRegistry();
    manager =
        new KubeManager(
            client, objects, ipam, options.cluster(), options.workers(), registry, clock);
    resources.push(manager);
    manager.start();
    compiler = Compiler.follow(objects.cache());
    resources.push(compiler);
    FabricGateway gateway = new FabricGateway(client);
    api =
        new ConfigApiServer(objects, gateway, ipam)
            .withReachability(new Reachability(compiler, gateway, this::converge));
    resources.push(api);
    api.start(options.host(), options.port());
  }

  static ConfigStore openStore(String url, Path dataDir) throws IOException {
    if (url == null || url.isBlank()) {
      return SqliteConfigStore.open(dataDir.resolve("weft.db"));
    }
    if (url.startsWith("sqlite:")) {
      Path file = Path.of(url.substring("sqlite:".length()));
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      return SqliteConfigStore.open(file);
    }
    if (url.startsWith("etcd://")) {
      throw new IllegalArgumentException(
          "--store " + url + ": the etcd store is not part of this build yet; use sqlite:FILE");
    }
    throw new IllegalArgumentException(
        "--store " + url + ": expected sqlite:FILE or etcd://HOST:PORT[,HOST:PORT...]");
  }

  /** Waits until the kube-manager (and the stand-ins) have processed everything queued. */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    // The stand-ins and the manager feed each other (an address lets a pod run, which updates
    // it); go round until both are idle at once.
    for (int round = 0; round < 50; round++) {
      Duration left = Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
      boolean m = manager.awaitIdle(left);
      boolean s =
          standIns == null
              || standIns.awaitIdle(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
      if (m && s && manager.queueDepth() == 0 && manager.awaitIdle(Duration.ZERO)) {
        return true;
      }
      if (System.nanoTime() > deadline) {
        return false;
      }
    }
    return false;
  }

  /** The probe barrier: every Kubernetes change made before the call is in the store. */
  private Convergence.Result converge(Duration timeout) throws InterruptedException {
    Processed p = manager.awaitProcessed(timeout);
    return new Convergence.Result(p.reached(), p.storeRevision(), p.reached() ? "" : p.describe());
  }

  /** The compiled forwarding state. */
  public Compiler compiler() {
    return compiler;
  }

  public int apiPort() {
    return api.port();
  }

  public String apiUrl() {
    return "http://" + options.host() + ":" + api.port();
  }

  public KubernetesClient client() {
    return client;
  }

  public ObjectStore objects() {
    return objects;
  }

  public KubeManager manager() {
    return manager;
  }

  public ConfigStore store() {
    return store;
  }

  /** The embedded Kubernetes API, or null when attached to a cluster. */
  public EmbeddedKubernetes embedded() {
    return embedded;
  }

  @Override
  public void close() {
    // Stop all work first, while the embedded API still answers; then the API; then the watches
    // (closing a watch on a running mock API server can stall it for a minute).
    if (api != null) {
      quietly(api);
    }
    if (manager != null) {
      manager.stopWorkers();
    }
    if (standIns != null) {
      standIns.stopWorkers();
    }
    if (embedded != null) {
      quietly(embedded);
    }
    while (!resources.isEmpty()) {
      quietly(resources.pop());
    }
  }

  private static void quietly(AutoCloseable r) {
    try {
      r.close();
    } catch (Exception e) {
      System.err.println("weft: error while stopping " + r.getClass().getSimpleName() + ": " + e);
    }
  }
}
