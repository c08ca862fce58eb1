package dev.weft.store;

import java.util.List;

/**
 * An etcd-style transaction: if every compare holds, apply {@code success}, else {@code failure}.
 * Applied atomically at one new revision (no revision is used when nothing is written). A key may
 * be written at most once per branch.
 */
public record Txn(List<Compare> compares, List<Operation> success, List<Operation> failure) {
  /**
   * @throws IllegalArgumentException for what etcd rejects: an empty key, or a key written twice
   *     (put twice, or put and deleted) in one branch
   */
  public Txn {
    compares = List.copyOf(compares);
    success = List.copyOf(success);
    failure = failure == null ? List.of() : List.copyOf(failure);
    checkBranch(success, "success");
    checkBranch(failure, "failure");
  }

  private static void checkBranch(List<Operation> ops, String branch) {
    java.util.Set<String> written = new java.util.HashSet<>();
    for (Operation op : ops) {
      if (!(op instanceof Operation.DeletePrefix) && op.key().isEmpty()) {
        throw new IllegalArgumentException(branch + " branch: " + op + ": key must not be empty");
      }
      if (op instanceof Operation.Put put && !written.add(put.key())) {
        throw new IllegalArgumentException(
            branch + " branch: key \"" + put.key() + "\" is written more than once");
      }
    }
    // Linear in the operations: a delete looks its key up, a delete-prefix the first put after it.
    java.util.TreeSet<String> sorted = null;
    for (Operation op : ops) {
      if (op instanceof Operation.Delete && written.contains(op.key())) {
        throw new IllegalArgumentException(
            branch + " branch: key \"" + op.key() + "\" is both put and deleted by " + op);
      }
      if (op instanceof Operation.DeletePrefix) {
        if (sorted == null) {
          sorted = new java.util.TreeSet<>(written);
        }
        String first = sorted.ceiling(op.key());
        if (first != null && first.startsWith(op.key())) {
          throw new IllegalArgumentException(
              branch + " branch: key \"" + first + "\" is both put and deleted by " + op);
        }
      }
    }
  }

  public static Txn of(List<Compare> compares, List<Operation> success) {
    return new Txn(compares, success, List.of());
  }
}
