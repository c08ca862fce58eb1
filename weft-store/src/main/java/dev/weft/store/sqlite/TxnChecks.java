package dev.weft.store.sqlite;

import dev.weft.store.Operation;
import dev.weft.store.Txn;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Rejects transactions etcd would reject: a key written twice in one branch. */
final class TxnChecks {
  private TxnChecks() {}

  static void check(Txn txn) {
    Objects.requireNonNull(txn, "txn");
    checkBranch(txn.success(), "success");
    checkBranch(txn.failure(), "failure");
  }

  private static void checkBranch(List<Operation> ops, String branch) {
    Set<String> written = new HashSet<>();
    for (Operation op : ops) {
      if (!(op instanceof Operation.DeletePrefix) && op.key().isEmpty()) {
        throw new IllegalArgumentException(branch + " branch: " + op + ": key must not be empty");
      }
      if (op instanceof Operation.Put put && !written.add(put.key())) {
        throw new IllegalArgumentException(
            branch + " branch: key \"" + put.key() + "\" is written more than once");
      }
    }
    for (Operation op : ops) {
      for (String key : written) {
        boolean overlaps =
            (op instanceof Operation.Delete && op.key().equals(key))
                || (op instanceof Operation.DeletePrefix && key.startsWith(op.key()));
        if (overlaps) {
          throw new IllegalArgumentException(
              branch + " branch: key \"" + key + "\" is both put and deleted by " + op);
        }
      }
    }
  }
}
