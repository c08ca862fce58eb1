package dev.weft.cli;

import dev.weft.api.ConfigApiServer;
import dev.weft.api.reach.Convergence;
import dev.weft.api.reach.Reachability;
import dev.weft.api.security.ApiSecurity;
import dev.weft.control.Compiler;
import dev.weft.kube.ClusterConfig;
import dev.weft.kube.KubeManager;
import dev.weft.kube.Processed;
import dev.weft.kube.embedded.EmbeddedKubernetes;
import dev.weft.kube.embedded.PodSandboxes;
import dev.weft.kube.embedded.StandIns;
import dev.weft.kube.leader.ActiveStandby;
import dev.weft.kube.leader.LeaderElectionConfig;
import dev.weft.kube.leader.StoreFence;
import dev.weft.store.ConfigStore;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.objects.ObjectStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
  /**
   * What to run. {@code kubeconfig} null and not {@code inCluster}: host the embedded Kubernetes
   * API. {@code inCluster}: attach to the cluster this pod runs in, as its service account. {@code
   * apiSecurity}: tokens, TLS and limits of the config API on {@code host}.
   */
  public record Options(
      Path dataDir,
      String host,
      int port,
      Path kubeconfig,
      int kubePort,
      String store,
      ClusterConfig cluster,
      List<String> nodes,
      int workers,
      boolean inCluster,
      ApiSecurity apiSecurity) {
    public Options {
      if (inCluster && kubeconfig != null) {
        throw new IllegalArgumentException(
            "--in-cluster and --kubeconfig exclude each other: give one");
      }
      if (apiSecurity == null) {
        apiSecurity = ApiSecurity.defaults();
      }
    }

    /** Embedded or kubeconfig-attached, the config API with its defaults (loopback, no token). */
    public Options(
        Path dataDir,
        String host,
        int port,
        Path kubeconfig,
        int kubePort,
        String store,
        ClusterConfig cluster,
        List<String> nodes,
        int workers) {
      this(dataDir, host, port, kubeconfig, kubePort, store, cluster, nodes, workers, false, null);
    }
  }

  private final Deque<AutoCloseable> resources = new ArrayDeque<>();
  private final Options options;
  private final LeaderElectionConfig election;
  private PodSandboxes sandboxes = PodSandboxes.NONE;
  private Reachability reachability;
  private ObjectStore objects;
  private KubeManager manager;
  private ActiveStandby activeStandby;
  private Compiler compiler;
  private ConfigApiServer api;
  private EmbeddedKubernetes embedded;
  private StandIns standIns;
  private KubernetesClient client;
  private ConfigStore store;

  private WeftServer(Options options, LeaderElectionConfig election) {
    this.options = options;
    this.election = election;
  }

  /** Starts everything; on failure closes what was started and rethrows. */
  public static WeftServer start(Options options) throws Exception {
    return start(options, LeaderElectionConfig.defaults());
  }

  /**
   * Starts everything, the kube-manager as a candidate in {@code election}: it reconciles only
   * while it leads. On failure closes what was started and rethrows.
   */
  public static WeftServer start(Options options, LeaderElectionConfig election) throws Exception {
    return start(options, election, PodSandboxes.NONE);
  }

  /**
   * As {@link #start(Options, LeaderElectionConfig)}, the embedded kubelet stand-in setting up each
   * pod's sandbox through {@code sandboxes} (the lab) before it marks the pod Running.
   */
  public static WeftServer start(
      Options options, LeaderElectionConfig election, PodSandboxes sandboxes) throws Exception {
    WeftServer server = new WeftServer(options, election);
    server.sandboxes = sandboxes;
    try {
      server.startAll();
      return server;
    } catch (Exception | Error e) {
      server.close();
      throw e;
    }
  }

  private void startAll() throws Exception {
    // The config API starts last: find out now if it cannot (no token beyond loopback, bad TLS).
    ConfigApiServer.preflight(options.host(), options.apiSecurity(), Clock.systemUTC());
    Files.createDirectories(options.dataDir());
    store = StoreFactory.open(options.store(), options.dataDir());
    resources.push(store);
    objects = new ObjectStore(store);
    resources.push(objects);
    Ipam ipam = new Ipam(store);
    resources.push(ipam);
    Clock clock = Clock.systemUTC();
    if (options.kubeconfig() == null && !options.inCluster()) {
      embedded = EmbeddedKubernetes.start(options.kubePort(), options.dataDir());
      resources.push(embedded);
      KubernetesClient standInClient = embedded.newClient();
      resources.push(standInClient);
      standIns =
          new StandIns(standInClient, options.nodes(), options.cluster().serviceSubnets(), clock)
              .withSandboxes(sandboxes);
      resources.push(standIns);
      standIns.start();
      client = embedded.newClient();
    } else {
      // Verified TLS only; see KubeClients.
      client =
          KubeClients.client(
              options.inCluster()
                  ? KubeClients.inCluster()
                  : KubeClients.fromKubeconfig(options.kubeconfig()));
    }
    resources.push(client);
    MeterRegistry registry = new SimpleMeterRegistry();
    // Several Weft processes may share the store and the cluster: only the leader's kube-manager
    // reconciles, and its commits are fenced in the store (see ActiveStandby).
    StoreFence fence = new StoreFence(objects);
    manager =
        new KubeManager(
            client, objects, ipam, options.cluster(), options.workers(), registry, clock, fence);
    resources.push(manager);
    manager.startInformers();
    activeStandby = ActiveStandby.start(client, manager, fence, election, clock);
    resources.push(activeStandby);
    // The embedded API is this process's own: no other candidate can hold its Lease yet.
    if (embedded != null
        && !activeStandby.awaitLeading(
            election.leaseDuration().plus(election.retryPeriod().multipliedBy(2)))) {
      throw new IllegalStateException(
          "the kube-manager did not become the leader on its own embedded Kubernetes API: "
              + activeStandby.status());
    }
    compiler = Compiler.follow(objects.cache());
    resources.push(compiler);
    FabricGateway gateway = new FabricGateway(client);
    reachability = new Reachability(compiler, gateway, this::converge);
    api =
        new ConfigApiServer(objects, gateway, ipam)
            .withReachability(reachability)
            .withStatus(() -> java.util.Map.of("kubeManager", leadershipFields()))
            .withSecurity(options.apiSecurity());
    resources.push(api);
    api.start(options.host(), options.port());
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

  /** What serves {@code probe} and {@code trace}. */
  public Reachability reachability() {
    return reachability;
  }

  /** The store's URL for another process to open (a lab's agents). */
  public String storeUrl() {
    return StoreFactory.url(options.store(), options.dataDir());
  }

  /** The compiled forwarding state. */
  public Compiler compiler() {
    return compiler;
  }

  public int apiPort() {
    return api.port();
  }

  /** The config API's URL: https:// with TLS, loopback for a wildcard host. */
  public String apiUrl() {
    return api.url();
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

  /** Leadership of this process's kube-manager among those of its cluster. */
  public ActiveStandby.Status leadership() {
    return activeStandby.status();
  }

  /** {@link #leadership()} for {@code GET /status}. */
  private java.util.Map<String, Object> leadershipFields() {
    ActiveStandby.Status s = activeStandby.status();
    java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
    out.put("leader", s.leader());
    out.put("identity", s.identity());
    out.put("holder", s.holder());
    out.put("lease", s.lease());
    out.put("fenceEpoch", s.epoch());
    out.put("fenceHolder", s.fenceHolder());
    out.put("leadingSince", s.since() == null ? null : s.since().toString());
    out.put("queueDepth", manager.queueDepth());
    return out;
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
    // Workers stopped: give the Lease up while the API is still there, so a standby takes over now.
    if (activeStandby != null) {
      quietly(activeStandby);
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
