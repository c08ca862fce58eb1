package dev.weft.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weft.store.ConfigStore;
import dev.weft.store.EventCollector;
import dev.weft.store.Operation.Put;
import dev.weft.store.StoreException;
import dev.weft.store.Txn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A one-member etcd killed and started again under a running watch: a full outage. */
class EtcdMemberRestartTest {
  @RegisterExtension static final EtcdExtension ETCD = EtcdExtension.members(1);

  private static long put(ConfigStore store, String key, String value) {
    return store.txn(Txn.of(List.of(), List.of(Put.of(key, value)))).revision();
  }

  @Test
  void aWatchResumesFromItsRevisionAcrossAMemberRestartWithNothingLostOrRepeated() {
    EtcdCluster etcd = ETCD.cluster();
    EtcdStoreConfig config =
        EtcdStoreConfig.of(etcd.endpoints())
            .withNamespace("/restart/")
            .withRequestTimeout(Duration.ofSeconds(2));
    try (EtcdConfigStore store = EtcdConfigStore.connect(config)) {
      long base = store.revision();
      EventCollector watcher = new EventCollector();
      EtcdWatch watch = (EtcdWatch) store.watch("r/", base + 1, watcher);
      List<Long> written = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        written.add(put(store, "r/" + (i % 7), "before " + i));
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> watcher.size() == 50);

      etcd.kill(0);
      long started = System.nanoTime();
      assertThatThrownBy(() -> put(store, "elsewhere", "while down"))
          .isInstanceOf(StoreException.class)
          .hasMessageContaining("may or may not have been applied");
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
      etcd.restart(0);
      // Reads are safe to repeat: wait with them until the client is connected again.
      await()
          .atMost(Duration.ofSeconds(30))
          .ignoreExceptionsInstanceOf(StoreException.class)
          .until(() -> store.revision() >= written.get(written.size() - 1));
      for (int i = 0; i < 50; i++) {
        written.add(put(store, "r/" + (i % 7), "after " + i));
      }

      await().atMost(Duration.ofSeconds(30)).until(() -> watcher.size() == 100);
      assertThat(watcher.revisions()).isEqualTo(written);
      assertThat(watcher.violations()).isEmpty();
      assertThat(watcher.error()).isNull();
      assertThat(watch.upstreamsOpened()).as("the watch reconnected").isGreaterThan(1);
    }
  }
}
