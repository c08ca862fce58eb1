package dev.weft.cli;

import dev.weft.cli.lab.Lab;
import dev.weft.kube.ClusterConfig;
import dev.weft.kube.embedded.PodSandboxes;
import dev.weft.kube.leader.ActiveStandby;
import dev.weft.kube.leader.LeaderElectionConfig;
import dev.weft.model.FqName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code weft up}: runs everything in the foreground until Ctrl-C. */
@Command(name = "up", description = "Run Weft in the foreground (Ctrl-C stops it cleanly).")
final class UpCommand implements Callable<Integer> {
  @Option(
      names = "--data-dir",
      defaultValue = "weft-data",
      description = "Data directory (default: ${DEFAULT-VALUE})")
  Path dataDir;

  @Option(
      names = "--port",
      defaultValue = "8082",
      description = "Config API port (default: ${DEFAULT-VALUE})")
  int port;

  @Option(
      names = "--listen",
      defaultValue = "127.0.0.1",
      description =
          "Config API address ADDR[:PORT] (default: ${DEFAULT-VALUE}); any address but loopback"
              + " needs --token-file")
  String listen;

  @Mixin ApiSecurityOptions apiSecurity;

  @Spec CommandSpec spec;

  @Option(
      names = "--kubeconfig",
      description =
          "Attach to the cluster of this kubeconfig's current context instead of the embedded one")
  Path kubeconfig;

  @Option(
      names = "--in-cluster",
      description =
          "Attach to the cluster this pod runs in, as its service account (see deploy/rbac.yaml)")
  boolean inCluster;

  @Option(
      names = "--kube-port",
      defaultValue = "0",
      description = "Port of the embedded Kubernetes API (default: any free port)")
  int kubePort;

  @Option(
      names = "--store",
      description =
          "Config store: sqlite:FILE (default: DATA_DIR/weft.db) or"
              + " etcd://HOST:PORT[,HOST:PORT...][/NAMESPACE]")
  String store;

  @Option(
      names = "--public-fip-pool",
      description = "Global floating-IP pool DOMAIN:PROJECT:NETWORK:POOL")
  String publicFipPool;

  @Option(names = "--manifests", description = "Apply the manifests in this folder once running")
  Path manifests;

  @Option(
      names = "--config",
      description =
          "Settings file (YAML): clusterName, podSubnets, serviceSubnets, publicFipPool, nodes")
  Path config;

  @Option(
      names = "--cluster-name",
      description = "Cluster name, the prefix of derived names (default: k8s)")
  String clusterName;

  @Option(
      names = "--pod-subnet",
      split = ",",
      description = "Pod subnets, IPv4 and/or IPv6 (default: 10.32.0.0/12)")
  List<String> podSubnets;

  @Option(
      names = "--service-subnet",
      split = ",",
      description = "Service subnets (default: 10.96.0.0/12)")
  List<String> serviceSubnets;

  @Option(
      names = "--nodes",
      split = ",",
      description = "Embedded cluster node names (default: node-1,node-2)")
  List<String> nodes;

  @Option(
      names = "--workers",
      defaultValue = "4",
      description = "Reconcile workers (default: ${DEFAULT-VALUE})")
  int workers;

  @Option(
      names = "--lease",
      defaultValue = "kube-system/weft-kube-manager",
      description =
          "Lease NAMESPACE/NAME the kube-managers of this cluster elect their leader on"
              + " (default: ${DEFAULT-VALUE})")
  String lease;

  @Option(
      names = "--lease-duration",
      defaultValue = "10",
      description =
          "Seconds a standby waits, after the leader's last renewal, before taking over"
              + " (default: ${DEFAULT-VALUE})")
  int leaseDurationSeconds;

  @Option(
      names = "--renew-deadline",
      defaultValue = "7",
      description =
          "Seconds after which a leader that could not renew stops (default: ${DEFAULT-VALUE})")
  double renewDeadlineSeconds;

  @Option(
      names = "--retry-period",
      defaultValue = "1",
      description = "Seconds between renewals and tries (default: ${DEFAULT-VALUE})")
  double retryPeriodSeconds;

  @Option(
      names = "--lab",
      description =
          "Make the embedded nodes real network namespaces on this machine, with an agent each, the"
              + " CNI plugin run for every pod and a gateway; weft probe --real measures there"
              + " (needs root, iproute2, nftables)")
  boolean lab;

  /** The --lease* and --*-period flags, validated. */
  private LeaderElectionConfig election() {
    int slash = lease.indexOf('/');
    if (slash <= 0 || slash == lease.length() - 1 || lease.indexOf('/', slash + 1) >= 0) {
      throw new IllegalArgumentException(
          "--lease " + lease + ": expected NAMESPACE/NAME, such as kube-system/weft-kube-manager");
    }
    return LeaderElectionConfig.defaults()
        .withLease(lease.substring(0, slash), lease.substring(slash + 1))
        .withTimings(
            Duration.ofSeconds(leaseDurationSeconds),
            Duration.ofMillis(Math.round(renewDeadlineSeconds * 1000)),
            Duration.ofMillis(Math.round(retryPeriodSeconds * 1000)));
  }

  @Override
  public Integer call() throws Exception {
    if (lab && (kubeconfig != null || inCluster)) {
      throw new IllegalArgumentException(
          "--lab makes the embedded cluster's nodes real network namespaces; it cannot be used"
              + " with --kubeconfig or --in-cluster, whose nodes are real already");
    }
    WeftSettings settings = config == null ? WeftSettings.defaults() : WeftSettings.read(config);
    ClusterConfig cluster = settings.cluster();
    if (clusterName != null) {
      cluster = cluster.withName(clusterName);
    }
    if (podSubnets != null) {
      cluster =
          cluster.withPodSubnets(
              WeftSettings.prefixes(
                  new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(podSubnets)));
    }
    if (serviceSubnets != null) {
      cluster =
          cluster.withServiceSubnets(
              WeftSettings.prefixes(
                  new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(serviceSubnets)));
    }
    if (publicFipPool != null) {
      cluster = cluster.withPublicFipPool(FqName.parse(publicFipPool));
    }
    List<String> nodeNames = nodes != null ? nodes : settings.nodes();
    LeaderElectionConfig election = election();
    ListenAddress address = ListenAddress.parse(listen);
    int apiPort =
        address.port(port, spec.commandLine().getParseResult().hasMatchedOption("--port"));
    long started = System.nanoTime();
    // Made before the server so that the kubelet stand-in holds every pod until the lab is up.
    Lab theLab = lab ? Lab.create(dataDir, StoreFactory.url(store, dataDir)) : null;
    WeftServer server =
        WeftServer.start(
            new WeftServer.Options(
                dataDir,
                address.host(),
                apiPort,
                kubeconfig,
                kubePort,
                store,
                cluster,
                nodeNames,
                workers,
                inCluster,
                apiSecurity.security()),
            election,
            theLab == null ? PodSandboxes.NONE : theLab.sandboxes());
    CountDownLatch stopped = new CountDownLatch(1);
    // Also on SIGTERM: the JVM runs shutdown hooks for it as for Ctrl-C. The lab's processes and
    // namespaces go first, while the server they talk to still runs.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  System.out.println("weft: stopping");
                  if (theLab != null) {
                    theLab.close();
                  }
                  server.close();
                  stopped.countDown();
                },
                "weft-shutdown"));
    if (theLab != null) {
      System.out.println(
          "weft: starting the lab " + theLab.prefix() + " (see " + dataDir.resolve("lab") + ")");
      theLab.start(server.client(), server.compiler(), server.reachability());
    }
    System.out.printf(
        "weft: up in %.1f s%n"
            + "  config API      %s  (%s; try: curl %s%s/virtual-networks)%n"
            + "  Kubernetes API  %s%n"
            + "  store           %s (revision %d)%n"
            + "  cluster         %s: pod subnets %s, service subnets %s%s%n",
        (System.nanoTime() - started) / 1e9,
        server.apiUrl(),
        apiSecurity.describe(),
        apiSecurity.tokenFile == null ? "" : "-H 'Authorization: Bearer TOKEN' ",
        server.apiUrl(),
        server.embedded() != null
            ? server.embedded().url()
                + "  (embedded; kubeconfig "
                + server.embedded().kubeconfig()
                + ", nodes "
                + String.join(",", nodeNames)
                + ")"
            : inCluster ? "attached in-cluster (service account)" : "attached via " + kubeconfig,
        server.store().describe(),
        server.store().revision(),
        cluster.name(),
        cluster.podSubnets(),
        cluster.serviceSubnets(),
        cluster.publicFipPool() == null
            ? ""
            : ", global floating-IP pool " + cluster.publicFipPool());
    if (theLab != null) {
      theLab.describe(System.out);
    }
    if (manifests != null) {
      server.awaitIdle(Duration.ofSeconds(30));
      int failed =
          ApplyCommand.applyAll(
              apiSecurity.ownClient(server.apiUrl()), manifests, System.out, System.err);
      if (failed > 0) {
        System.err.println("weft: " + failed + " manifest document(s) failed; see above");
      }
    }
    ActiveStandby.Status leadership = server.leadership();
    System.out.println(
        leadership.leader()
            ? "weft: kube-manager " + leadership.identity() + " leads (" + leadership.lease() + ")"
            : "weft: kube-manager "
                + leadership.identity()
                + " stands by; leader: "
                + (leadership.holder().isEmpty() ? "none yet" : leadership.holder())
                + " ("
                + leadership.lease()
                + ")");
    System.out.println("weft: serving; Ctrl-C stops");
    System.out.flush();
    stopped.await();
    return 0;
  }
}
