package dev.weft.store;

import java.util.Optional;

/**
 * Weft's durable key/value store with etcd semantics. Every write happens in a transaction that
 * gets one new revision; revisions grow by one per writing transaction across the whole store.
 *
 * <p>Implementations are thread-safe. A transaction that has returned is durable: it survives a
 * kill -9 of the process that made it. Several processes may share one store; their transactions
 * are serialised and every watcher sees every change, in revision order, exactly once.
 */
public interface ConfigStore extends AutoCloseable {

  /** The revision of the last write (0 for an empty, new store). */
  long revision();

  Optional<KeyValue> get(String key);

  /** Every key starting with {@code prefix}, sorted, read at one revision. */
  RangeResult range(String prefix);

  /** Applies a transaction atomically; see {@link Txn}. */
  TxnResult txn(Txn txn);

  /**
   * Watches keys starting with {@code prefix}, delivering every change with revision {@code >=
   * fromRevision}, then live changes. {@code fromRevision} 0 means "from now on". When {@code
   * fromRevision} is older than the store keeps, {@link WatchListener#onCompacted} is called.
   */
  Watch watch(String prefix, long fromRevision, WatchListener listener);

  /** Drops the change history older than {@code revision}; current keys stay. */
  void compact(long revision);

  /** Short description for logs and status, such as {@code sqlite:/var/lib/weft/weft.db}. */
  String describe();

  @Override
  void close();
}
