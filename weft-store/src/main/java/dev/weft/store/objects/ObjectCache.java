package dev.weft.store.objects;

import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.Ref;
import dev.weft.store.ConfigStore;
import dev.weft.store.KeyValue;
import dev.weft.store.RangeResult;
import dev.weft.store.Watch;
import dev.weft.store.WatchEvent;
import dev.weft.store.WatchListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every object of the store in memory, kept current by a watch, with indexes by FQ name, by owner
 * key, by reference (back-references) and by parent (children).
 *
 * <p>Reads are lock-free and may run on any thread. Changes are applied by the watch thread in
 * revision order; {@link #awaitRevision} lets a writer wait until its own commit is visible, which
 * gives read-your-writes. Listeners run on the watch thread and must not block.
 */
public final class ObjectCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ObjectCache.class);

  /** Told about every object change after the cache applied it. */
  public interface Listener {
    /** {@code before} null: created; {@code after} null: deleted. */
    void onChange(ConfigObject before, ConfigObject after);

    /**
     * Every change up to store revision {@code revision} has been told (called after each batch, on
     * the same thread as {@link #onChange}).
     */
    default void onApplied(long revision) {}
  }

  private record Entry(Stored<ConfigObject> stored, String key) {}

  private final ConfigStore store;
  private final ObjectCodec codec;
  private final Map<ObjectType, Map<UUID, Stored<ConfigObject>>> byType =
      new EnumMap<>(ObjectType.class);
  private final Map<ObjectType, Map<FqName, UUID>> byFq = new EnumMap<>(ObjectType.class);
  private final Map<String, Set<UUID>> byOwner = new ConcurrentHashMap<>();
  private final Map<UUID, Set<UUID>> backRefs = new ConcurrentHashMap<>();
  private final Map<UUID, Set<UUID>> children = new ConcurrentHashMap<>();
  private final Map<UUID, ObjectType> typeOf = new ConcurrentHashMap<>();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition advanced = lock.newCondition();
  private volatile long revision;
  private volatile Watch watch;
  private volatile boolean closed;

  public ObjectCache(ConfigStore store, ObjectCodec codec) {
    this.store = store;
    this.codec = codec;
    for (ObjectType t : ObjectType.values()) {
      byType.put(t, new ConcurrentHashMap<>());
      byFq.put(t, new ConcurrentHashMap<>());
    }
  }

  /** Loads every object and starts following changes. */
  public ObjectCache start() {
    relistAndWatch();
    return this;
  }

  private void relistAndWatch() {
    RangeResult all = store.range(ObjectKeys.OBJECTS);
    List<Change> changes = new ArrayList<>();
    Set<UUID> seen = ConcurrentHashMap.newKeySet();
    for (KeyValue kv : all.kvs()) {
      ObjectType type = ObjectKeys.typeOf(kv.key());
      if (type == null) {
        continue;
      }
      ConfigObject object = decode(type, kv);
      if (object != null) {
        seen.add(object.uuid());
        apply(object, kv.modRevision(), kv.createRevision(), changes);
      }
    }
    // After a compaction-triggered relist, objects deleted meanwhile are gone from the range.
    for (UUID uuid : List.copyOf(typeOf.keySet())) {
      if (!seen.contains(uuid)) {
        remove(typeOf.get(uuid), uuid, changes);
      }
    }
    tell(changes, all.revision());
    advanceTo(all.revision());
    watch = store.watch(ObjectKeys.OBJECTS, all.revision() + 1, new Follower());
  }

  private final class Follower implements WatchListener {
    @Override
    public void onEvents(List<WatchEvent> events) {
      long max = revision;
      List<Change> changes = new ArrayList<>();
      for (WatchEvent e : events) {
        ObjectType type = ObjectKeys.typeOf(e.kv().key());
        max = Math.max(max, e.kv().modRevision());
        if (type == null) {
          continue;
        }
        if (e.type() == WatchEvent.Type.PUT) {
          ConfigObject object = decode(type, e.kv());
          if (object != null) {
            apply(object, e.kv().modRevision(), e.kv().createRevision(), changes);
          }
        } else {
          String key = e.kv().key();
          UUID uuid = UUID.fromString(key.substring(key.lastIndexOf('/') + 1));
          remove(type, uuid, changes);
        }
      }
      // Listeners first, then the revision: a writer waiting for its commit to be visible returns
      // only once listeners have heard of it (the kube-manager's barrier relies on that).
      tell(changes, max);
      advanceTo(max);
    }

    @Override
    public void onCompacted(long compactRevision) {
      if (!closed) {
        log.warn("object watch fell behind compaction at {}; reloading", compactRevision);
        relistAndWatch();
      }
    }

    /**
     * The watch ended on an error (the store unreachable for a moment, a failed read): reload and
     * watch again, with backoff, for as long as the cache is open. A cache that stopped here would
     * serve a frozen view for the rest of the process's life.
     */
    @Override
    public void onError(Throwable error) {
      long backoff = 100;
      while (!closed) {
        log.warn("object watch failed ({}); reloading in {} ms", error.toString(), backoff);
        try {
          Thread.sleep(backoff);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
        if (closed) {
          return;
        }
        try {
          relistAndWatch();
          log.info("object watch resumed at revision {}", revision);
          return;
        } catch (RuntimeException e) {
          error = e;
          backoff = Math.min(backoff * 2, 5_000);
        }
      }
    }
  }

  private ConfigObject decode(ObjectType type, KeyValue kv) {
    try {
      return codec.decode(type, kv.value());
    } catch (RuntimeException e) {
      log.error("skipping unreadable object at {}: {}", kv.key(), e.getMessage());
      return null;
    }
  }

  /** One applied change, told to listeners once its whole batch is applied. */
  private record Change(ConfigObject before, ConfigObject after) {}

  /**
   * Listeners hear of a batch of changes (a whole store transaction at least, as the watch delivers
   * them) only after all of it is applied, so what a listener triggers never reads half a
   * transaction from the cache, such as one of a pod's two addresses.
   */
  private void tell(List<Change> changes, long revision) {
    for (Change c : changes) {
      for (Listener l : listeners) {
        notify(l, c.before(), c.after());
      }
    }
    for (Listener l : listeners) {
      try {
        l.onApplied(revision);
      } catch (RuntimeException e) {
        log.error("object listener failed", e);
      }
    }
  }

  private void apply(
      ConfigObject object, long modRevision, long createRevision, List<Change> changes) {
    Stored<ConfigObject> previous =
        byType
            .get(object.type())
            .put(object.uuid(), new Stored<>(object, modRevision, createRevision));
    ConfigObject before = previous == null ? null : previous.object();
    // Index the new version before removing what only the old one had, so a concurrent reader
    // never finds the object missing from an index it belongs to in both versions.
    index(object);
    if (before != null) {
      unindexStale(before, object);
    }
    changes.add(new Change(before, object));
  }

  private void remove(ObjectType type, UUID uuid, List<Change> changes) {
    Stored<ConfigObject> previous = byType.get(type).remove(uuid);
    if (previous == null) {
      return;
    }
    unindex(previous.object());
    typeOf.remove(uuid);
    changes.add(new Change(previous.object(), null));
  }

  private static void notify(Listener l, ConfigObject before, ConfigObject after) {
    try {
      l.onChange(before, after);
    } catch (RuntimeException e) {
      log.error("object listener failed", e);
    }
  }

  private void index(ConfigObject o) {
    typeOf.put(o.uuid(), o.type());
    byFq.get(o.type()).put(o.fqName(), o.uuid());
    o.owner().ifPresent(owner -> byOwner.computeIfAbsent(owner.key(), k -> set()).add(o.uuid()));
    for (Ref r : o.refs()) {
      backRefs.computeIfAbsent(r.uuid(), k -> set()).add(o.uuid());
    }
    if (o.parent() != null) {
      children.computeIfAbsent(o.parent().uuid(), k -> set()).add(o.uuid());
    }
  }

  private void unindexStale(ConfigObject before, ConfigObject after) {
    if (!before.fqName().equals(after.fqName())) {
      byFq.get(before.type()).remove(before.fqName(), before.uuid());
    }
    String oldOwner = before.owner().map(Owner::key).orElse(null);
    String newOwner = after.owner().map(Owner::key).orElse(null);
    if (oldOwner != null && !oldOwner.equals(newOwner)) {
      removeFrom(byOwner, oldOwner, before.uuid());
    }
    Set<UUID> kept = new java.util.HashSet<>();
    after.refs().forEach(r -> kept.add(r.uuid()));
    for (Ref r : before.refs()) {
      if (!kept.contains(r.uuid())) {
        removeFrom(backRefs, r.uuid(), before.uuid());
      }
    }
    UUID oldParent = before.parent() == null ? null : before.parent().uuid();
    UUID newParent = after.parent() == null ? null : after.parent().uuid();
    if (oldParent != null && !oldParent.equals(newParent)) {
      removeFrom(children, oldParent, before.uuid());
    }
  }

  private void unindex(ConfigObject o) {
    byFq.get(o.type()).remove(o.fqName(), o.uuid());
    o.owner().ifPresent(owner -> removeFrom(byOwner, owner.key(), o.uuid()));
    for (Ref r : o.refs()) {
      removeFrom(backRefs, r.uuid(), o.uuid());
    }
    if (o.parent() != null) {
      removeFrom(children, o.parent().uuid(), o.uuid());
    }
  }

  private static <K> void removeFrom(Map<K, Set<UUID>> index, K key, UUID value) {
    index.computeIfPresent(
        key,
        (k, s) -> {
          s.remove(value);
          return s.isEmpty() ? null : s;
        });
  }

  private static Set<UUID> set() {
    return ConcurrentHashMap.newKeySet();
  }

  private void advanceTo(long rev) {
    lock.lock();
    try {
      if (rev > revision) {
        revision = rev;
        advanced.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /** The store revision this cache reflects. */
  public long revision() {
    return revision;
  }

  /**
   * Waits until the cache reflects at least {@code rev}.
   *
   * @throws TimeoutException when it does not within {@code timeout}
   */
  public void awaitRevision(long rev, Duration timeout)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    lock.lock();
    try {
      while (revision < rev) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new TimeoutException(
              "object cache at revision " + revision + ", waited for " + rev);
        }
        advanced.awaitNanos(left);
      }
    } finally {
      lock.unlock();
    }
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  @SuppressWarnings("unchecked")
  public <T extends ConfigObject> Optional<Stored<T>> get(ObjectType type, UUID uuid) {
    return Optional.ofNullable((Stored<T>) byType.get(type).get(uuid));
  }

  /** Looks up any object by UUID, whatever its type. */
  public Optional<Stored<ConfigObject>> get(UUID uuid) {
    ObjectType type = typeOf.get(uuid);
    return type == null ? Optional.empty() : Optional.ofNullable(byType.get(type).get(uuid));
  }

  public <T extends ConfigObject> Optional<Stored<T>> get(ObjectType type, FqName fqName) {
    UUID uuid = byFq.get(type).get(fqName);
    return uuid == null ? Optional.empty() : get(type, uuid);
  }

  @SuppressWarnings("unchecked")
  public <T extends ConfigObject> List<Stored<T>> list(ObjectType type) {
    Collection<Stored<ConfigObject>> values = byType.get(type).values();
    List<Stored<T>> out = new ArrayList<>(values.size());
    for (Stored<ConfigObject> s : values) {
      out.add((Stored<T>) s);
    }
    return out;
  }

  public int count(ObjectType type) {
    return byType.get(type).size();
  }

  /** Objects owned by the reconciler key {@code ownerKey} (see {@link Owner#key()}). */
  public List<Stored<ConfigObject>> ownedBy(String ownerKey) {
    return resolve(byOwner.get(ownerKey));
  }

  /** Every owner key that owns at least one object. */
  public Set<String> ownerKeys() {
    return Set.copyOf(byOwner.keySet());
  }

  /** Objects holding a reference to {@code uuid}. */
  public List<Stored<ConfigObject>> referrers(UUID uuid) {
    return resolve(backRefs.get(uuid));
  }

  public List<Stored<ConfigObject>> children(UUID parent) {
    return resolve(children.get(parent));
  }

  private List<Stored<ConfigObject>> resolve(Set<UUID> uuids) {
    if (uuids == null) {
      return List.of();
    }
    List<Stored<ConfigObject>> out = new ArrayList<>(uuids.size());
    for (UUID u : uuids) {
      get(u).ifPresent(out::add);
    }
    return out;
  }

  @Override
  public void close() {
    closed = true;
    Watch w = watch;
    if (w != null) {
      w.close();
    }
  }
}
