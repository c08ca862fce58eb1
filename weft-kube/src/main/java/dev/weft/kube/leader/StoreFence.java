package dev.weft.kube.leader;

import dev.weft.kube.reconcile.NotLeaderException;
import dev.weft.kube.reconcile.WriteFence;
import dev.weft.store.Compare;
import dev.weft.store.ConfigStore;
import dev.weft.store.KeyValue;
import dev.weft.store.Operation;
import dev.weft.store.Txn;
import dev.weft.store.TxnResult;
import dev.weft.store.objects.ObjectKeys;
import dev.weft.store.objects.ObjectStore;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The store's record of which kube-manager may write: one key holding an epoch (one more at every
 * take-over) and the holder's identity. A new leader bumps it with a compare-and-set; every commit
 * of the reconcilers is then guarded by "the key is still at the revision I wrote it", so once a
 * successor has taken the fence, nothing its predecessor still tries commits, whatever the clocks
 * or the Lease say.
 *
 * <p>The key lives under the objects prefix (it is no object; object caches skip it) so that the
 * take-over's write moves every object cache's revision: {@link #acquire} returns once this
 * process's cache shows it, and so shows every write of the previous leader, which all have lower
 * revisions. Reconciling from a cache that misses some of them could leave, for instance, the
 * objects of a pod the previous leader created just before dying and Kubernetes deleted just after.
 *
 * <p>Thread-safe.
 */
public final class StoreFence implements WriteFence {
  /** Where the fence lives. */
  public static final String KEY = ObjectKeys.OBJECTS + "kube-manager-leader";

  /** What the key says. */
  public record Holder(long epoch, String identity) {
    static Holder parse(KeyValue kv) {
      String text = new String(kv.value(), StandardCharsets.UTF_8);
      int space = text.indexOf(' ');
      try {
        return space < 0
            ? new Holder(Long.parseLong(text.trim()), "")
            : new Holder(Long.parseLong(text.substring(0, space)), text.substring(space + 1));
      } catch (NumberFormatException e) {
        // Not written by this class: take it over as if it were epoch 0.
        return new Holder(0, text);
      }
    }
  }

  private final ObjectStore objects;
  private final ConfigStore kv;
  private final AtomicLong revision = new AtomicLong();
  private volatile long epoch;
  private volatile Runnable onLost = () -> {};

  public StoreFence(ObjectStore objects) {
    this.objects = objects;
    this.kv = objects.kv();
  }

  /** Called (once per loss, on a worker thread) when a commit finds the fence taken. */
  public void onLost(Runnable action) {
    this.onLost = action;
  }

  /**
   * Takes the fence for {@code identity} (the next epoch) and waits until this process's object
   * cache shows it.
   *
   * @return the epoch taken
   */
  public long acquire(String identity) {
    while (true) {
      Optional<KeyValue> current = kv.get(KEY);
      long next = current.map(c -> Holder.parse(c).epoch()).orElse(0L) + 1;
      Compare unchanged =
          current
              .map(c -> Compare.modRevision(KEY, c.modRevision()))
              .orElseGet(() -> Compare.absent(KEY));
      TxnResult r =
          kv.txn(
              Txn.of(
                  List.of(unchanged),
                  List.of(
                      new Operation.Put(
                          KEY, (next + " " + identity).getBytes(StandardCharsets.UTF_8)))));
      if (r.succeeded()) {
        objects.awaitVisible(r.revision());
        epoch = next;
        revision.set(r.revision());
        return next;
      }
      // Another candidate bumped it between our read and write: read again and go one higher.
    }
  }

  /** Stops this process's commits at once (no store write: the next leader takes the fence). */
  public void release() {
    revision.set(0);
  }

  /** Whether this process holds the fence, as far as it knows. */
  public boolean held() {
    return revision.get() != 0;
  }

  /** The epoch last taken by this process (0: never). */
  public long epoch() {
    return epoch;
  }

  /** What the store says now: the current epoch and holder, if any. */
  public Optional<Holder> current() {
    return kv.get(KEY).map(Holder::parse);
  }

  @Override
  public Compare guard() {
    long r = revision.get();
    if (r == 0) {
      throw new NotLeaderException("this kube-manager is not the leader; it writes nothing");
    }
    return Compare.modRevision(KEY, r);
  }

  @Override
  public boolean lost() {
    long r = revision.get();
    if (r == 0) {
      return true;
    }
    boolean lost = kv.get(KEY).map(KeyValue::modRevision).orElse(0L) != r;
    if (lost && revision.compareAndSet(r, 0)) {
      onLost.run();
    }
    return lost;
  }
}
