package dev.weft.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * The simplest model of etcd semantics that could work, written independently of the stores: keys
 * sorted by UTF-8 bytes, one revision per writing transaction, and the events each would deliver.
 * Property tests run the same transactions here and on a store and compare.
 */
final class ReferenceStore {
  private static final Comparator<String> UTF8_ORDER =
      (a, b) ->
          Arrays.compareUnsigned(
              a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

  private final TreeMap<String, Kv> keys = new TreeMap<>(UTF8_ORDER);
  private final List<Ev> events = new ArrayList<>();
  private long revision;

  ReferenceStore(long revision) {
    this.revision = revision;
  }

  long revision() {
    return revision;
  }

  Kv get(String key) {
    return keys.get(key);
  }

  List<Kv> range(String prefix) {
    return keys.values().stream().filter(kv -> kv.key().startsWith(prefix)).toList();
  }

  /** Events under {@code prefix}, in revision order. */
  List<Ev> events(String prefix) {
    return events.stream().filter(e -> e.kv().key().startsWith(prefix)).toList();
  }

  TxnResult apply(Txn txn) {
    boolean ok = txn.compares().stream().allMatch(this::holds);
    long rev = revision + 1;
    List<Ev> written = new ArrayList<>();
    for (Operation op : ok ? txn.success() : txn.failure()) {
      if (op instanceof Operation.Put put) {
        Kv prev = keys.get(put.key());
        String value = new String(put.value(), StandardCharsets.UTF_8);
        Kv kv =
            prev == null
                ? new Kv(put.key(), value, rev, rev, 1)
                : new Kv(put.key(), value, prev.create(), rev, prev.version() + 1);
        keys.put(put.key(), kv);
        written.add(new Ev(WatchEvent.Type.PUT, kv, prev));
      } else {
        boolean prefix = op instanceof Operation.DeletePrefix;
        // Kv snapshots, not entries: TreeMap.remove may move another key into a removed entry.
        for (Kv prev : List.copyOf(keys.values())) {
          if (prefix ? prev.key().startsWith(op.key()) : prev.key().equals(op.key())) {
            keys.remove(prev.key());
            written.add(new Ev(WatchEvent.Type.DELETE, new Kv(prev.key(), "", 0, rev, 0), prev));
          }
        }
      }
    }
    if (!written.isEmpty()) {
      revision = rev;
      events.addAll(written);
    }
    return new TxnResult(ok, revision);
  }

  private boolean holds(Compare c) {
    Kv kv = keys.get(c.key());
    int cmp;
    if (c.target() == Compare.Target.VALUE) {
      if (kv == null) {
        return false;
      }
      cmp = Arrays.compareUnsigned(kv.value().getBytes(StandardCharsets.UTF_8), c.value());
    } else {
      long actual =
          kv == null
              ? 0
              : switch (c.target()) {
                case VERSION -> kv.version();
                case CREATE -> kv.create();
                case MOD -> kv.mod();
                case VALUE -> throw new AssertionError();
              };
      cmp = Long.compare(actual, c.number());
    }
    return switch (c.op()) {
      case EQUAL -> cmp == 0;
      case NOT_EQUAL -> cmp != 0;
      case LESS -> cmp < 0;
      case GREATER -> cmp > 0;
    };
  }
}
