package dev.weft.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weft.store.ConfigStore;
import dev.weft.store.EventCollector;
import dev.weft.store.KeyValue;
import dev.weft.store.Operation;
import dev.weft.store.Operation.Put;
import dev.weft.store.StoreException;
import dev.weft.store.Txn;
import dev.weft.store.Watch;
import dev.weft.store.WatchEvent;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the etcd store does beyond the shared contract: namespaces, paging, flow control. */
class EtcdConfigStoreTest {
  @RegisterExtension static final EtcdExtension ETCD = EtcdExtension.members(1);

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
  }

  private EtcdConfigStore store(String namespace) {
    return store(namespace, EtcdConfigStore.DEFAULT_WATCH_QUEUE_LIMIT);
  }

  private EtcdConfigStore store(String namespace, int watchQueueLimit) {
    EtcdConfigStore store =
        EtcdConfigStore.connect(
            EtcdStoreConfig.of(ETCD.cluster().endpoints()).withNamespace(namespace),
            watchQueueLimit);
    toClose.add(store);
    return store;
  }

  private <T extends AutoCloseable> T closing(T c) {
    toClose.add(c);
    return c;
  }

  private static long put(ConfigStore store, String key, String value) {
    return store.txn(Txn.of(List.of(), List.of(Put.of(key, value)))).revision();
  }

  private static List<String> keys(ConfigStore store, String prefix) {
    return store.range(prefix).kvs().stream().map(KeyValue::key).toList();
  }

  @Test
  void namespacesSharingOneEtcdDoNotSeeEachOther() {
    EtcdConfigStore a = store("/iso/a/");
    EtcdConfigStore b = store("/iso/b/");
    EtcdConfigStore whole = store("");
    EventCollector bEvents = new EventCollector();
    toClose.add(b.watch("", 0, bEvents));
    put(a, "/weft/k", "from a");
    long lastB = put(b, "/weft/k", "from b");

    a.txn(Txn.of(List.of(), List.of(new Operation.DeletePrefix(""))));

    assertThat(keys(a, "")).isEmpty();
    assertThat(b.get("/weft/k").orElseThrow().valueAsString()).isEqualTo("from b");
    assertThat(keys(whole, "/iso/")).containsExactly("/iso/b//weft/k");
    await().atMost(Duration.ofSeconds(10)).until(() -> bEvents.size() == 1);
    assertThat(bEvents.revisions()).containsExactly(lastB);
  }

  @Test
  void aRangeLargerThanOnePageIsReadAtOneRevision() {
    EtcdConfigStore store = store("/paging/");
    int total = EtcdConfigStore.RANGE_PAGE_SIZE * 2 + 500;
    List<Operation> batch = new ArrayList<>();
    for (int i = 0; i < total; i++) {
      batch.add(Put.of(String.format("p/%05d", i), "v" + i));
      if (batch.size() == 100) {
        store.txn(Txn.of(List.of(), batch));
        batch = new ArrayList<>();
      }
    }
    long revision = put(store, "q/after", "x");

    var range = store.range("p/");

    assertThat(range.kvs()).hasSize(total);
    assertThat(range.revision()).isEqualTo(revision);
    assertThat(range.kvs().get(total - 1).key()).isEqualTo(String.format("p/%05d", total - 1));
    assertThat(range.kvs().stream().map(KeyValue::key).toList()).isSorted();
  }

  @Test
  void aSlowListenerPausesTheWatchWhichThenResumesWithoutLossOrRepeat() throws Exception {
    EtcdConfigStore store = store("/slow/", 10);
    long base = store.revision();
    CountDownLatch release = new CountDownLatch(1);
    EventCollector slow =
        new EventCollector() {
          @Override
          protected void onBatch(List<WatchEvent> batch) {
            try {
              release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
    EtcdWatch watch = (EtcdWatch) closing(store.watch("s/", base + 1, slow));
    int writes = 200;
    for (int i = 0; i < writes; i++) {
      put(store, "s/" + (i % 13), Integer.toString(i));
    }
    await().atMost(Duration.ofSeconds(10)).until(watch::paused);

    release.countDown();

    await().atMost(Duration.ofSeconds(30)).until(() -> slow.size() == writes);
    assertThat(slow.revisions())
        .isEqualTo(LongStream.rangeClosed(base + 1, base + writes).boxed().toList());
    assertThat(slow.violations()).isEmpty();
    assertThat(watch.upstreamsOpened()).as("paused and resumed").isGreaterThan(1);
  }

  @Test
  void aWatchPausedPastACompactionIsToldToRelist() throws Exception {
    EtcdConfigStore store = store("/paused/", 4);
    long base = store.revision();
    CountDownLatch release = new CountDownLatch(1);
    EventCollector paused =
        new EventCollector() {
          @Override
          protected void onBatch(List<WatchEvent> batch) {
            try {
              release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
    EtcdWatch watch = (EtcdWatch) closing(store.watch("c/", base + 1, paused));
    for (int i = 0; i < 4; i++) {
      put(store, "c/" + i, "v");
    }
    // Four events queued (the limit): the watch lets go of etcd, to resume at base + 5.
    await().atMost(Duration.ofSeconds(10)).until(watch::paused);
    for (int i = 4; i < 10; i++) {
      put(store, "c/" + i, "v");
    }
    long last = store.revision();
    store.compact(last);

    release.countDown();

    await().atMost(Duration.ofSeconds(10)).until(() -> paused.compactedAt() == last);
    assertThat(paused.revisions()).isEqualTo(List.of(base + 1, base + 2, base + 3, base + 4));
    assertThat(paused.error()).isNull();
    await().atMost(Duration.ofSeconds(10)).until(() -> store.openWatches() == 0);
    assertThat(watch.deliverer().isAlive()).isFalse();
  }

  @Test
  void aListenerThatThrowsEndsItsWatchWithAnError() {
    EtcdConfigStore store = store("/throws/");
    EventCollector failing =
        new EventCollector() {
          @Override
          protected void onBatch(List<WatchEvent> batch) {
            throw new IllegalStateException("listener bug");
          }
        };
    closing(store.watch("t/", 0, failing));
    put(store, "t/1", "v");

    await().atMost(Duration.ofSeconds(10)).until(() -> failing.error() != null);
    assertThat(failing.error()).hasMessage("listener bug");
    await().atMost(Duration.ofSeconds(10)).until(() -> store.openWatches() == 0);
  }

  @Test
  void closingTheStoreEndsItsWatchesQuietly() {
    EtcdConfigStore store =
        EtcdConfigStore.connect(
            EtcdStoreConfig.of(ETCD.cluster().endpoints()).withNamespace("/closing/"));
    EventCollector watcher = new EventCollector();
    Watch watch = store.watch("", 0, watcher);

    store.close();
    watch.close();

    await().atMost(Duration.ofSeconds(10)).until(() -> store.openWatches() == 0);
    assertThat(watcher.error()).isNull();
    assertThat(watcher.compactedAt()).isEqualTo(-1);
  }

  @Test
  void anEtcdThatDoesNotAnswerFailsTheConnectWithinTheRequestTimeout() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    EtcdStoreConfig config =
        EtcdStoreConfig.parse("etcd://127.0.0.1:" + port).withRequestTimeout(Duration.ofSeconds(1));
    long started = System.nanoTime();

    assertThatThrownBy(() -> EtcdConfigStore.connect(config))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("etcd://127.0.0.1:" + port)
        .hasMessageContaining("could not read the revision")
        .hasMessageContaining("Connection refused")
        .hasMessageNotContaining("\n");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  void describeNamesTheEndpointsAndNamespace() {
    EtcdConfigStore store = store("/described/");

    assertThat(store.describe()).isEqualTo("etcd://" + ETCD.cluster().endpoint(0) + "/described/");
  }
}
