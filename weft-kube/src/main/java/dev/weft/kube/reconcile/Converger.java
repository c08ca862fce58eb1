package dev.weft.kube.reconcile;

import dev.weft.kube.translate.InputException;
import dev.weft.model.ConfigObject;
import dev.weft.model.FloatingIp;
import dev.weft.model.InstanceIp;
import dev.weft.model.Ref;
import dev.weft.store.Compare;
import dev.weft.store.ipam.FloatingIpAddresses;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.objects.ConflictException;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.ObjectTxn;
import dev.weft.store.objects.Stored;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Converges the objects owned by one key to a desired set, in one transaction: creates what is
 * missing, updates what differs, deletes what is owned and no longer wanted. A deletion that would
 * leave a dangling reference (a network still used by another key's interfaces, an object with
 * children) is deferred; the owner is re-queued when the last referrer goes away. A network keeps
 * the links users made to their own policies ({@link UserPolicyLinks}).
 *
 * <p>Thread-safe; callers serialise per key (the work queue does).
 */
public final class Converger {
  /** What one convergence did. */
  public record Outcome(
      int created, int updated, int deleted, List<String> deferred, long revision) {
    public boolean changed() {
      return created + updated + deleted > 0;
    }
  }

  private final ObjectStore store;
  private final WriteFence fence;
  private final Map<UUID, String> deferredOwners = new ConcurrentHashMap<>();

  public Converger(ObjectStore store) {
    this(store, WriteFence.NONE);
  }

  /**
   * @param fence guards every commit, so that only the leader's converge writes
   */
  public Converger(ObjectStore store, WriteFence fence) {
    this.store = store;
    this.fence = fence;
  }

  /** The owner key of a deferred deletion of {@code uuid}, if any (to re-queue it). */
  public String deferredOwner(UUID uuid) {
    return deferredOwners.get(uuid);
  }

  /**
   * @param extra adds guards and writes (address reservations) to the same transaction
   * @throws dev.weft.store.objects.ConflictException when the store changed meanwhile; retry
   * @throws InputException when a desired object's FQ name belongs to someone else
   * @throws NotLeaderException when this kube-manager is not the leader (nothing was written)
   */
  public Outcome converge(String ownerKey, List<ConfigObject> desired, Consumer<ObjectTxn> extra) {
    // Taken first: a deposed leader stops here, before reading anything.
    Compare fenceGuard = fence.guard();
    ObjectCache cache = store.cache();
    Map<UUID, Stored<ConfigObject>> observed = new HashMap<>();
    for (Stored<ConfigObject> s : cache.ownedBy(ownerKey)) {
      observed.put(s.object().uuid(), s);
    }
    Map<UUID, ConfigObject> wanted = new HashMap<>();
    for (ConfigObject o : desired) {
      wanted.put(o.uuid(), o);
    }
    ObjectTxn txn = store.begin();
    int created = 0;
    int updated = 0;
    int deleted = 0;
    List<String> deferred = new ArrayList<>();

    Set<UUID> toDelete = new HashSet<>();
    for (UUID uuid : observed.keySet()) {
      if (!wanted.containsKey(uuid)) {
        toDelete.add(uuid);
      }
    }
    for (UUID uuid : toDelete) {
      Stored<ConfigObject> old = observed.get(uuid);
      // Registered before the referrers are read: if the last one goes away in between, its
      // commit's listener finds this entry and re-queues the owner (at worst one extra run).
      deferredOwners.put(uuid, ownerKey);
      String blocker = blocker(cache, old.object(), toDelete, wanted);
      if (blocker != null) {
        deferred.add(
            old.object().type().singular() + " " + old.object().fqName() + " (" + blocker + ")");
        continue;
      }
      deferredOwners.remove(uuid);
      txn.delete(old);
      if (old.object() instanceof InstanceIp ip) {
        txn.write(Ipam.release(ip.pool(), ip.address()));
      } else if (old.object() instanceof FloatingIp fip) {
        FloatingIpAddresses.release(fip, cache).ifPresent(txn::write);
      }
      deleted++;
    }
    for (ConfigObject o : desired) {
      Stored<ConfigObject> old = observed.get(o.uuid());
      if (old == null) {
        // Owned objects are found through the owner index; look the UUID up directly too, so an
        // object whose owner annotations were changed (by hand, or by an older Weft) is adopted.
        old = cache.<ConfigObject>get(o.type(), o.uuid()).orElse(null);
      }
      if (old == null) {
        cache
            .get(o.type(), o.fqName())
            .filter(other -> !toDelete.contains(other.object().uuid()))
            .ifPresent(
                other -> {
                  String holder =
                      other.object().owner().map(ow -> "Kubernetes " + ow.key()).orElse("a user");
                  throw new InputException(
                      "NameTaken",
                      o.type().singular()
                          + " "
                          + o.fqName()
                          + " already exists, created by "
                          + holder
                          + " (uuid "
                          + other.object().uuid()
                          + ")");
                });
        txn.create(UserPolicyLinks.restore(o, cache));
        created++;
      } else {
        // Links users made to their own policies are theirs, not the key's: keep them, and
        // compare with them in, so a network carrying one is not rewritten on every reconcile.
        ConfigObject next = UserPolicyLinks.keep(o, old.object(), wanted.keySet(), cache);
        if (old.object().equals(next)) {
          continue;
        }
        txn.update(old, next);
        if (old.object() instanceof InstanceIp before
            && next instanceof InstanceIp after
            && !(before.address().equals(after.address()) && before.pool().equals(after.pool()))) {
          txn.write(Ipam.release(before.pool(), before.address()));
        } else if (old.object() instanceof FloatingIp before
            && next instanceof FloatingIp after
            && !(before.address().equals(after.address())
                && before.parent().uuid().equals(after.parent().uuid()))) {
          FloatingIpAddresses.release(before, cache).ifPresent(txn::write);
        }
        updated++;
      }
    }
    if (extra != null) {
      extra.accept(txn);
    }
    long revision;
    if (txn.isEmpty()) {
      revision = cache.revision();
    } else {
      if (fenceGuard != null) {
        txn.guard(fenceGuard);
      }
      try {
        revision = store.commit(txn);
      } catch (ConflictException e) {
        if (fenceGuard != null && fence.lost()) {
          throw new NotLeaderException(
              ownerKey + ": not written, another kube-manager has taken over the store");
        }
        throw e;
      }
    }
    return new Outcome(created, updated, deleted, deferred, revision);
  }

  /** Why {@code o} cannot be deleted now, or null when nothing outside the change needs it. */
  private static String blocker(
      ObjectCache cache, ConfigObject o, Set<UUID> toDelete, Map<UUID, ConfigObject> wanted) {
    List<String> users = new ArrayList<>();
    for (Stored<ConfigObject> r : cache.referrers(o.uuid())) {
      UUID ru = r.object().uuid();
      if (toDelete.contains(ru)) {
        continue;
      }
      ConfigObject next = wanted.get(ru);
      if (next != null && next.refs().stream().map(Ref::uuid).noneMatch(o.uuid()::equals)) {
        continue;
      }
      users.add(r.object().type().singular() + " " + r.object().fqName());
    }
    for (Stored<ConfigObject> ch : cache.children(o.uuid())) {
      if (!toDelete.contains(ch.object().uuid())) {
        users.add("child " + ch.object().type().singular() + " " + ch.object().fqName());
      }
    }
    if (users.isEmpty()) {
      return null;
    }
    return "in use by "
        + users.size()
        + (users.size() == 1 ? " object: " : " objects: ")
        + String.join(", ", users.subList(0, Math.min(3, users.size())))
        + (users.size() > 3 ? ", ..." : "");
  }
}
