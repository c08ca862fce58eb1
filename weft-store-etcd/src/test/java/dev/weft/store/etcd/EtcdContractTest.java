package dev.weft.store.etcd;

import dev.weft.store.ConfigStore;
import dev.weft.store.ConfigStoreContract;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@link ConfigStoreContract} against a real etcd. Every store gets a namespace of its own, so
 * each starts empty although all share one cluster.
 */
abstract class EtcdContractTest extends ConfigStoreContract {
  private static final AtomicInteger NAMESPACES = new AtomicInteger();

  private final Map<ConfigStore, EtcdStoreConfig> configs = new IdentityHashMap<>();

  abstract EtcdCluster cluster();

  @Override
  protected synchronized ConfigStore newStore() {
    EtcdStoreConfig config =
        EtcdStoreConfig.of(cluster().endpoints())
            .withNamespace("/contract/" + NAMESPACES.incrementAndGet() + "/");
    EtcdConfigStore store = EtcdConfigStore.connect(config);
    configs.put(store, config);
    return store;
  }

  /** Another client of the same namespace, talking to the next member when there is one. */
  @Override
  protected synchronized Optional<ConfigStore> newPeer(ConfigStore store) {
    EtcdStoreConfig config = configs.get(store);
    EtcdStoreConfig peer =
        new EtcdStoreConfig(
            cluster().endpointsFrom(1 % cluster().size()),
            config.namespace(),
            config.requestTimeout());
    return Optional.of(EtcdConfigStore.connect(peer));
  }
}
