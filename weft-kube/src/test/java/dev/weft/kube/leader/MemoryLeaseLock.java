package dev.weft.kube.leader;

import java.util.Optional;

/** A lease lock in memory, with compare-and-set on a version, and a switch to make it fail. */
final class MemoryLeaseLock implements LeaseLock {
  private LeaseRecord record;
  private long version;
  private boolean unreachable;

  synchronized void unreachable(boolean value) {
    unreachable = value;
  }

  synchronized LeaseRecord record() {
    return record;
  }

  private void check() {
    if (unreachable) {
      throw new IllegalStateException("API server unreachable");
    }
  }

  @Override
  public synchronized Optional<Versioned> get() {
    check();
    return record == null
        ? Optional.empty()
        : Optional.of(new Versioned(record, Long.toString(version)));
  }

  @Override
  public synchronized Optional<Versioned> create(LeaseRecord r) {
    check();
    if (record != null) {
      return Optional.empty();
    }
    record = r;
    version++;
    return Optional.of(new Versioned(record, Long.toString(version)));
  }

  @Override
  public synchronized Optional<Versioned> update(LeaseRecord r, String v) {
    check();
    if (record == null || !Long.toString(version).equals(v)) {
      return Optional.empty();
    }
    record = r;
    version++;
    return Optional.of(new Versioned(record, Long.toString(version)));
  }

  @Override
  public String describe() {
    return "memory lease";
  }
}
