package dev.weft.store;

import java.util.List;

/**
 * An etcd-style transaction: if every compare holds, apply {@code success}, else {@code failure}.
 * Applied atomically at one new revision (no revision is used when nothing is written). A key may
 * be written at most once per branch.
 */
public record Txn(List<Compare> compares, List<Operation> success, List<Operation> failure) {
  public Txn {
    compares = List.copyOf(compares);
    success = List.copyOf(success);
    failure = failure == null ? List.of() : List.copyOf(failure);
  }

  public static Txn of(List<Compare> compares, List<Operation> success) {
    return new Txn(compares, success, List.of());
  }
}
