package dev.weft.store.memory;

import dev.weft.store.Compare;
import dev.weft.store.ConfigStore;
import dev.weft.store.KeyValue;
import dev.weft.store.Operation;
import dev.weft.store.RangeResult;
import dev.weft.store.StoreException;
import dev.weft.store.Txn;
import dev.weft.store.TxnResult;
import dev.weft.store.Watch;
import dev.weft.store.WatchEvent;
import dev.weft.store.WatchListener;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An in-memory {@link ConfigStore} with the same semantics as etcd and the SQLite store, for fast
 * tests; nothing survives {@link #close()}.
 *
 * <p>Thread-safe. Each watch delivers on its own daemon thread. The change history keeps the last
 * {@code keepRevisions} revisions; older ones are compacted away automatically.
 */
public final class MemoryConfigStore implements ConfigStore {
  /** Revisions of change history kept by default before automatic compaction. */
  public static final long DEFAULT_KEEP_REVISIONS = 100_000;

  /** Most revisions handed to one {@link WatchListener#onEvents} call. */
  static final int MAX_REVISIONS_PER_DELIVERY = 1_000;

  private static final AtomicLong INSTANCES = new AtomicLong();

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final NavigableMap<String, KeyValue> keys = new TreeMap<>(KeyOrder.UTF8);
  private final NavigableMap<Long, List<WatchEvent>> log = new TreeMap<>();
  private final Set<MemoryWatch> watches = ConcurrentHashMap.newKeySet();
  private final long keepRevisions;
  private final long instance = INSTANCES.incrementAndGet();
  private long revision;
  private long compactRevision;
  private boolean closed;

  /** An empty store keeping {@link #DEFAULT_KEEP_REVISIONS} revisions of history. */
  public MemoryConfigStore() {
    this(DEFAULT_KEEP_REVISIONS);
  }

  /**
   * An empty store keeping the last {@code keepRevisions} revisions of change history.
   *
   * @throws IllegalArgumentException if {@code keepRevisions < 1}
   */
  public MemoryConfigStore(long keepRevisions) {
    if (keepRevisions < 1) {
      throw new IllegalArgumentException("keepRevisions must be at least 1, got " + keepRevisions);
    }
    this.keepRevisions = keepRevisions;
  }

  @Override
  public long revision() {
    lock.lock();
    try {
      ensureOpen();
      return revision;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Optional<KeyValue> get(String key) {
    Objects.requireNonNull(key, "key");
    lock.lock();
    try {
      ensureOpen();
      return Optional.ofNullable(keys.get(key)).map(MemoryConfigStore::copy);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public RangeResult range(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    lock.lock();
    try {
      ensureOpen();
      List<KeyValue> kvs = new ArrayList<>();
      for (KeyValue kv : underPrefix(prefix)) {
        kvs.add(copy(kv));
      }
      return new RangeResult(List.copyOf(kvs), revision);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public TxnResult txn(Txn txn) {
    java.util.Objects.requireNonNull(txn, "txn");
    lock.lock();
    try {
      ensureOpen();
      boolean succeeded = true;
      for (Compare compare : txn.compares()) {
        if (!compare.test(keys.get(compare.key()))) {
          succeeded = false;
          break;
        }
      }
      long next = revision + 1;
      List<WatchEvent> events = new ArrayList<>();
      for (Operation op : succeeded ? txn.success() : txn.failure()) {
        apply(op, next, events);
      }
      if (!events.isEmpty()) {
        revision = next;
        log.put(next, List.copyOf(events));
        if (revision - keepRevisions + 1 > compactRevision) {
          compactTo(revision - keepRevisions + 1);
        }
        changed.signalAll();
      }
      return new TxnResult(succeeded, revision);
    } finally {
      lock.unlock();
    }
  }

  private void apply(Operation op, long rev, List<WatchEvent> events) {
    if (op instanceof Operation.Put put) {
      KeyValue prev = keys.get(put.key());
      KeyValue kv =
          prev == null
              ? new KeyValue(put.key(), put.value().clone(), rev, rev, 1)
              : new KeyValue(
                  put.key(), put.value().clone(), prev.createRevision(), rev, prev.version() + 1);
      keys.put(put.key(), kv);
      events.add(new WatchEvent(WatchEvent.Type.PUT, kv, prev));
    } else if (op instanceof Operation.Delete) {
      KeyValue prev = keys.remove(op.key());
      if (prev != null) {
        events.add(deleted(prev, rev));
      }
    } else {
      List<KeyValue> doomed = new ArrayList<>(underPrefix(op.key()));
      for (KeyValue prev : doomed) {
        keys.remove(prev.key());
        events.add(deleted(prev, rev));
      }
    }
  }

  private static WatchEvent deleted(KeyValue prev, long rev) {
    return new WatchEvent(
        WatchEvent.Type.DELETE, new KeyValue(prev.key(), new byte[0], 0, rev, 0), prev);
  }

  private List<KeyValue> underPrefix(String prefix) {
    List<KeyValue> result = new ArrayList<>();
    for (Map.Entry<String, KeyValue> e : keys.tailMap(prefix, true).entrySet()) {
      if (!e.getKey().startsWith(prefix)) {
        break;
      }
      result.add(e.getValue());
    }
    return result;
  }

  @Override
  public Watch watch(String prefix, long fromRevision, WatchListener listener) {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(listener, "listener");
    if (fromRevision < 0) {
      throw new IllegalArgumentException("fromRevision must be >= 0, got " + fromRevision);
    }
    lock.lock();
    try {
      ensureOpen();
      MemoryWatch watch =
          new MemoryWatch(this, prefix, fromRevision == 0 ? revision + 1 : fromRevision, listener);
      watches.add(watch);
      watch.start("weft-memory-store-" + instance + "-watch-" + prefix);
      return watch;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until there is something for a watch positioned at {@code nextRevision}, and returns it:
   * the events of up to {@link #MAX_REVISIONS_PER_DELIVERY} revisions, or a compaction. Returns
   * {@code null} when the watch or the store was closed.
   */
  Batch awaitBatch(MemoryWatch watch, long nextRevision) throws InterruptedException {
    lock.lock();
    try {
      while (!closed && !watch.isClosed() && revision < nextRevision) {
        changed.await();
      }
      if (closed || watch.isClosed()) {
        return null;
      }
      if (nextRevision < compactRevision) {
        return new Batch(List.of(), nextRevision, compactRevision);
      }
      long last = Math.min(revision, nextRevision + MAX_REVISIONS_PER_DELIVERY - 1);
      List<WatchEvent> events = new ArrayList<>();
      for (List<WatchEvent> revisionEvents : log.subMap(nextRevision, true, last, true).values()) {
        for (WatchEvent event : revisionEvents) {
          if (event.kv().key().startsWith(watch.prefix())) {
            events.add(copy(event));
          }
        }
      }
      return new Batch(events, last + 1, 0);
    } finally {
      lock.unlock();
    }
  }

  /** What a watch gets next: events and where to continue, or the compact revision if gone. */
  record Batch(List<WatchEvent> events, long nextRevision, long compactedAt) {}

  void wakeWatches() {
    lock.lock();
    try {
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  void removeWatch(MemoryWatch watch) {
    watches.remove(watch);
  }

  /**
   * Drops history older than {@code revision}.
   *
   * @throws IllegalArgumentException if {@code revision} is newer than the store's revision
   */
  @Override
  public void compact(long revision) {
    lock.lock();
    try {
      ensureOpen();
      if (revision > this.revision) {
        throw new IllegalArgumentException(
            "cannot compact to revision " + revision + ": the store is at " + this.revision);
      }
      if (revision > compactRevision) {
        compactTo(revision);
      }
    } finally {
      lock.unlock();
    }
  }

  private void compactTo(long rev) {
    log.headMap(rev, false).clear();
    compactRevision = rev;
  }

  @Override
  public String describe() {
    return "memory:" + instance;
  }

  /** Ends every watch and makes later calls throw {@link StoreException}; idempotent. */
  @Override
  public void close() {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
    for (MemoryWatch watch : List.copyOf(watches)) {
      watch.close();
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new StoreException(describe() + " is closed");
    }
  }

  private static KeyValue copy(KeyValue kv) {
    return kv == null
        ? null
        : new KeyValue(
            kv.key(), kv.value().clone(), kv.createRevision(), kv.modRevision(), kv.version());
  }

  private static WatchEvent copy(WatchEvent event) {
    return new WatchEvent(event.type(), copy(event.kv()), copy(event.prevKv()));
  }

  @Override
  public String toString() {
    return describe();
  }
}
