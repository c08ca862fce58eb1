package dev.weft.store.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.store.ConfigStore;
import dev.weft.store.Ev;
import dev.weft.store.EventCollector;
import dev.weft.store.KeyValue;
import dev.weft.store.Operation.Put;
import dev.weft.store.StoreException;
import dev.weft.store.Txn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The leader of a three-member etcd killed while Weft writes and watches. */
class EtcdMemberKillTest {
  @RegisterExtension static final EtcdExtension ETCD = EtcdExtension.members(3);

  private static final int WRITERS = 4;
  private static final int WRITES_PER_PHASE = 400;

  private static EtcdConfigStore connect(List<String> endpoints) {
    return EtcdConfigStore.connect(
        new EtcdStoreConfig(endpoints, "/kill/", EtcdStoreConfig.DEFAULT_REQUEST_TIMEOUT));
  }

  @Test
  void killingTheLeaderUnderWriteLoadLosesNoAcknowledgedWriteAndWatchesGoOn() throws Exception {
    EtcdCluster etcd = ETCD.cluster();
    int leader = etcd.awaitLeader();
    int follower = (leader + 1) % etcd.size();
    // One writer client talks to the leader (and must fail over), one to a follower (which
    // forwards to the leader and sees the election); the watch is on the leader too.
    try (EtcdConfigStore onLeader = connect(etcd.endpointsFrom(leader));
        EtcdConfigStore onFollower = connect(etcd.endpointsFrom(follower));
        EtcdConfigStore watching = connect(etcd.endpointsFrom(leader))) {
      long base = onLeader.revision();
      EventCollector watcher = new EventCollector();
      EtcdWatch watch = (EtcdWatch) watching.watch("load/", base + 1, watcher);
      Map<String, Long> acknowledged = new ConcurrentHashMap<>();
      Set<String> unknown = ConcurrentHashMap.newKeySet();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong lastAck = new AtomicLong(System.nanoTime());
      AtomicLong longestGap = new AtomicLong();
      List<CompletableFuture<Void>> writers = new ArrayList<>();
      for (int t = 0; t < WRITERS; t++) {
        ConfigStore store = t % 2 == 0 ? onLeader : onFollower;
        String prefix = "load/" + t + "/";
        writers.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int i = 0; !stop.get(); i++) {
                    String key = prefix + i;
                    try {
                      long rev = store.txn(Txn.of(List.of(), List.of(Put.of(key, key)))).revision();
                      acknowledged.put(key, rev);
                      long now = System.nanoTime();
                      longestGap.accumulateAndGet(now - lastAck.getAndSet(now), Math::max);
                    } catch (StoreException e) {
                      // Maybe applied, maybe not: either is allowed, losing an ack is not.
                      unknown.add(key);
                    }
                  }
                }));
      }
      try {
        await().atMost(Duration.ofSeconds(60)).until(() -> acknowledged.size() >= WRITES_PER_PHASE);
        long killedAt = System.nanoTime();
        etcd.kill(leader);
        int before = acknowledged.size();
        await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> acknowledged.size() >= before + WRITES_PER_PHASE);
        System.out.printf(
            "killed the leader (member %d) after %d acknowledged writes; %d more %.1f s later;"
                + " %d writes failed with an unknown outcome; longest pause between acks %d ms%n",
            leader,
            before,
            acknowledged.size() - before,
            (System.nanoTime() - killedAt) / 1e9,
            unknown.size(),
            longestGap.get() / 1_000_000);
      } finally {
        stop.set(true);
        CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new))
            .get(60, TimeUnit.SECONDS);
      }

      Map<String, Long> stored = new HashMap<>();
      for (KeyValue kv : onFollower.range("load/").kvs()) {
        stored.put(kv.key(), kv.modRevision());
      }
      for (Map.Entry<String, Long> ack : acknowledged.entrySet()) {
        assertThat(stored.get(ack.getKey())).as("acknowledged %s", ack).isEqualTo(ack.getValue());
      }
      assertThat(stored.keySet())
          .allMatch(k -> acknowledged.containsKey(k) || unknown.contains(k), "written by a writer");

      // Every key was written once: the watch must have seen exactly what is stored.
      await().atMost(Duration.ofSeconds(30)).until(() -> watcher.size() >= stored.size());
      Map<String, Long> seen = new HashMap<>();
      for (Ev e : watcher.events()) {
        assertThat(seen.put(e.kv().key(), e.revision())).as("seen twice: %s", e).isNull();
      }
      assertThat(seen).isEqualTo(stored);
      assertThat(watcher.violations()).isEmpty();
      assertThat(watcher.error()).isNull();
      assertThat(watch.upstreamsOpened()).as("the watch moved to a live member").isGreaterThan(1);

      etcd.restart(leader);
      try (EtcdConfigStore onRestarted = connect(List.of(etcd.endpoint(leader)))) {
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> onRestarted.range("load/").kvs().size() == stored.size());
      }
    }
  }
}
