package dev.weft.kube;

import dev.weft.kube.embedded.EmbeddedKubernetes;
import dev.weft.kube.embedded.StandIns;
import dev.weft.store.ConfigStore;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.objects.ObjectStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.List;

/**
 * Test fixture: the embedded Kubernetes API with its stand-ins, a store, and a kube-manager that
 * can be stopped and started again (as a crash and restart would) over the same store.
 */
final class Cluster implements AutoCloseable {
  final EmbeddedKubernetes api = EmbeddedKubernetes.start(0, null);
  final KubernetesClient client = api.newClient();
  private final KubernetesClient standInClient = api.newClient();
  final StandIns standIns =
      new StandIns(standInClient, List.of("node-1", "node-2"), Clock.systemUTC());
  final ConfigStore kv;
  final ClusterConfig config;
  ObjectStore store;
  Ipam ipam;
  KubeManager manager;
  private KubernetesClient managerClient;

  Cluster(ClusterConfig config) throws InterruptedException {
    this(config, new MemoryConfigStore());
  }

  Cluster(ClusterConfig config, ConfigStore kv) throws InterruptedException {
    this.config = config;
    this.kv = kv;
    standIns.start();
    startManager();
  }

  void startManager() throws InterruptedException {
    store = new ObjectStore(kv);
    ipam = new Ipam(kv);
    managerClient = api.newClient();
    manager = new KubeManager(managerClient, store, ipam, config, 4, null, Clock.systemUTC());
    manager.start();
  }

  void stopManager() {
    manager.close();
    managerClient.close();
    ipam.close();
    store.close();
  }

  @Override
  public void close() {
    standIns.close();
    stopManager();
    standInClient.close();
    client.close();
    api.close();
    kv.close();
  }
}
