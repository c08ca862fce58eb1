package dev.weft.kube.leader;

import java.util.Optional;

/**
 * The shared record candidates compete for, with compare-and-set: a write names the version it read
 * and fails when the record changed meanwhile. Implementations are thread-safe.
 */
interface LeaseLock {
  /** A record and the version it was read at (a Lease's resourceVersion). */
  record Versioned(LeaseRecord record, String version) {}

  /** The current record, or empty when there is none. */
  Optional<Versioned> get();

  /** Creates the record; empty when another candidate created it first. */
  Optional<Versioned> create(LeaseRecord record);

  /** Replaces the record read at {@code version}; empty when it changed or vanished since. */
  Optional<Versioned> update(LeaseRecord record, String version);

  /** For logs, such as {@code Lease kube-system/weft-kube-manager}. */
  String describe();
}
