package dev.weft.kube;

import dev.weft.kube.embedded.EmbeddedKubernetes;
import dev.weft.kube.embedded.StandIns;
import dev.weft.store.ConfigStore;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.objects.ObjectStore;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Test fixture: the embedded Kubernetes API with its stand-ins, a store, and a kube-manager that
 * can be stopped and started again (as a crash and restart would) over the same store.
 */
final class Cluster implements AutoCloseable {
  final EmbeddedKubernetes api = EmbeddedKubernetes.start(0, null);
  final KubernetesClient client = api.newClient();
  private final KubernetesClient standInClient = api.newClient();
  final StandIns standIns;
  final ConfigStore kv;
  final ClusterConfig config;
  ObjectStore store;
  Ipam ipam;
  KubeManager manager;
  private KubernetesClient managerClient;
  private final List<AutoCloseable> halted = new java.util.ArrayList<>();

  Cluster(ClusterConfig config) throws InterruptedException {
    this(config, new MemoryConfigStore());
  }

  Cluster(ClusterConfig config, ConfigStore kv) throws InterruptedException {
    this.config = config;
    this.kv = kv;
    this.standIns =
        new StandIns(
            standInClient, List.of("node-1", "node-2"), config.serviceSubnets(), Clock.systemUTC());
    standIns.start();
    startManager();
  }

  /** Creates a one-container pod. */
  void createPod(String ns, String name, Map<String, String> annotations, boolean hostNetwork) {
    client
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(ns)
                .withAnnotations(annotations)
                .endMetadata()
                .withNewSpec()
                .withHostNetwork(hostNetwork)
                .addNewContainer()
                .withName("c")
                .withImage("nginx")
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  void startManager() throws InterruptedException {
    store = new ObjectStore(kv);
    ipam = new Ipam(kv);
    managerClient = api.newClient();
    manager = new KubeManager(managerClient, store, ipam, config, 4, null, Clock.systemUTC());
    manager.start();
  }

  /**
   * Stops the kube-manager as a crash would: it reconciles and writes nothing more. Its watches
   * stay open until {@link #close()} (see {@link KubeManager#stopWorkers()}).
   */
  void stopManager() {
    manager.stopWorkers();
    halted.add(manager);
    halted.add(managerClient);
    halted.add(ipam);
    halted.add(store);
  }

  @Override
  public void close() {
    // Stop all work while the API still answers, then the API, then the watches: closing a
    // watch on a running mock server can stall it.
    manager.stopWorkers();
    standIns.stopWorkers();
    api.close();
    halted.add(manager);
    halted.add(managerClient);
    halted.add(ipam);
    halted.add(store);
    halted.add(standIns);
    halted.add(standInClient);
    halted.add(client);
    for (AutoCloseable c : new java.util.LinkedHashSet<>(halted)) {
      try {
        c.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
    kv.close();
  }

  /**
   * For {@code createOr}: update, reading again and retrying when the stand-ins (labelling a
   * namespace, say) changed the object between fabric8's read and its write, as a controller next
   * to a user would.
   */
  static <T> T updateRetrying(io.fabric8.kubernetes.client.dsl.NonDeletingOperation<T> op) {
    for (int attempt = 1; ; attempt++) {
      try {
        return op.update();
      } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 10) {
          throw e;
        }
      }
    }
  }
}
