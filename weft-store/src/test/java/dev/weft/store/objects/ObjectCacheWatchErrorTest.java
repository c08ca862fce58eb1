package dev.weft.store.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.weft.model.FqName;
import dev.weft.model.ObjectType;
import dev.weft.model.Project;
import dev.weft.store.ConfigStore;
import dev.weft.store.KeyValue;
import dev.weft.store.RangeResult;
import dev.weft.store.Txn;
import dev.weft.store.TxnResult;
import dev.weft.store.Watch;
import dev.weft.store.WatchListener;
import dev.weft.store.memory.MemoryConfigStore;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A watch that ends on an error is followed by a reload and a new watch, not a frozen cache. */
class ObjectCacheWatchErrorTest {

  /** A store whose first watches fail right after they start, as a store that hiccups does. */
  private static final class FailingWatches implements ConfigStore {
    private final ConfigStore delegate = new MemoryConfigStore();
    private final AtomicInteger failuresLeft;
    private final AtomicInteger rangesLeftToFail;

    FailingWatches(int watchFailures, int rangeFailures) {
      failuresLeft = new AtomicInteger(watchFailures);
      rangesLeftToFail = new AtomicInteger(rangeFailures);
    }

    @Override
    public long revision() {
      return delegate.revision();
    }

    @Override
    public Optional<KeyValue> get(String key) {
      return delegate.get(key);
    }

    @Override
    public RangeResult range(String prefix) {
      // The first range is the cache's start; later ones are its reloads after a failed watch.
      if (failuresLeft.get() < 0 && rangesLeftToFail.getAndDecrement() > 0) {
        throw new IllegalStateException("store unreachable");
      }
      return delegate.range(prefix);
    }

    @Override
    public TxnResult txn(Txn txn) {
      return delegate.txn(txn);
    }

    @Override
    public Watch watch(String prefix, long fromRevision, WatchListener listener) {
      if (failuresLeft.getAndDecrement() > 0) {
        Thread t =
            new Thread(() -> listener.onError(new IllegalStateException("connection reset")));
        t.start();
        return () -> {};
      }
      return delegate.watch(prefix, fromRevision, listener);
    }

    @Override
    public void compact(long revision) {
      delegate.compact(revision);
    }

    @Override
    public String describe() {
      return "failing watches over " + delegate.describe();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  private static Project project(String name) {
    return new Project(UUID.randomUUID(), FqName.of("default-domain", name), null, Map.of());
  }

  @Test
  void aFailedWatchIsReloadedAndFollowedAgainEvenWhenTheFirstReloadFails() {
    FailingWatches kv = new FailingWatches(2, 1);
    try (ObjectStore writer = new ObjectStore(kv);
        ObjectCache cache = new ObjectCache(kv, new ObjectCodec()).start()) {
      Project p = project("after-the-failures");
      ObjectTxn txn = writer.begin();
      txn.create(p);
      long revision = writer.commit(txn);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> cache.get(ObjectType.PROJECT, p.uuid()).isPresent());
      assertThat(cache.revision()).isGreaterThanOrEqualTo(revision);
    }
  }
}
