package dev.weft.store.objects;

import dev.weft.model.ConfigObject;
import dev.weft.store.Compare;
import dev.weft.store.ConfigStore;
import dev.weft.store.Operation;
import dev.weft.store.Txn;
import dev.weft.store.TxnResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One atomic change to several objects (and raw keys such as address reservations). Creates are
 * guarded by "key absent" on both the object and its FQ name, updates and deletes by the mod
 * revision they were read at, so a concurrent writer makes {@link #commit()} fail instead of being
 * overwritten. Not thread-safe; use once.
 */
public final class ObjectTxn {
  private final ConfigStore store;
  private final ObjectCodec codec;
  private final List<Compare> compares = new ArrayList<>();
  private final Map<String, Operation> ops = new LinkedHashMap<>();
  private final List<String> summary = new ArrayList<>();

  ObjectTxn(ConfigStore store, ObjectCodec codec) {
    this.store = store;
    this.codec = codec;
  }

  public ObjectTxn create(ConfigObject object) {
    String key = ObjectKeys.object(object.type(), object.uuid());
    String fq = ObjectKeys.fqName(object.type(), object.fqName());
    compares.add(Compare.absent(key));
    // Replacing an object under the same FQ name (a pod recreated with a new UID) deletes the old
    // one earlier in this transaction; the name is then free by the time this put applies.
    if (!(ops.get(fq) instanceof Operation.Delete)) {
      compares.add(Compare.absent(fq));
    }
    put(key, codec.encode(object));
    put(fq, object.uuid().toString().getBytes(StandardCharsets.UTF_8));
    summary.add("create " + object.type().singular() + " " + object.fqName());
    return this;
  }

  /**
   * Replaces {@code old} with {@code next} (same UUID and type), if {@code old} is still current.
   */
  public ObjectTxn update(Stored<? extends ConfigObject> old, ConfigObject next) {
    ConfigObject prev = old.object();
    if (!prev.uuid().equals(next.uuid()) || prev.type() != next.type()) {
      throw new IllegalArgumentException("update must keep the object's type and UUID");
    }
    String key = ObjectKeys.object(next.type(), next.uuid());
    compares.add(Compare.modRevision(key, old.modRevision()));
    put(key, codec.encode(next));
    if (!prev.fqName().equals(next.fqName())) {
      String oldFq = ObjectKeys.fqName(prev.type(), prev.fqName());
      String newFq = ObjectKeys.fqName(next.type(), next.fqName());
      compares.add(Compare.absent(newFq));
      ops.put(oldFq, new Operation.Delete(oldFq));
      put(newFq, next.uuid().toString().getBytes(StandardCharsets.UTF_8));
    }
    summary.add("update " + next.type().singular() + " " + next.fqName());
    return this;
  }

  /** Deletes {@code old} if it is still at the revision it was read at. */
  public ObjectTxn delete(Stored<? extends ConfigObject> old) {
    ConfigObject prev = old.object();
    String key = ObjectKeys.object(prev.type(), prev.uuid());
    compares.add(Compare.modRevision(key, old.modRevision()));
    ops.put(key, new Operation.Delete(key));
    String fq = ObjectKeys.fqName(prev.type(), prev.fqName());
    ops.put(fq, new Operation.Delete(fq));
    summary.add("delete " + prev.type().singular() + " " + prev.fqName());
    return this;
  }

  /** Adds a raw guard, such as "this address is not reserved". */
  public ObjectTxn guard(Compare compare) {
    compares.add(compare);
    return this;
  }

  /** Adds a raw write, such as an address reservation. */
  public ObjectTxn write(Operation op) {
    ops.put(op.key(), op);
    return this;
  }

  private void put(String key, byte[] value) {
    ops.put(key, new Operation.Put(key, value));
  }

  public boolean isEmpty() {
    return ops.isEmpty();
  }

  /** What this transaction does, for logs. */
  public List<String> summary() {
    return List.copyOf(summary);
  }

  /**
   * Commits; returns the new store revision (the current one when there was nothing to write).
   *
   * @throws ConflictException when a guard failed; nothing was written
   */
  public long commit() {
    if (ops.isEmpty() && compares.isEmpty()) {
      return store.revision();
    }
    TxnResult result = store.txn(Txn.of(compares, List.copyOf(ops.values())));
    if (!result.succeeded()) {
      throw new ConflictException("concurrent change, retry: " + String.join("; ", summary));
    }
    return result.revision();
  }
}
