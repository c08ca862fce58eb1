package dev.weft.store.sqlite;

import java.util.function.BooleanSupplier;

/**
 * The newest revision known to be committed to the file, by this process or another; watches wait
 * here instead of polling SQLite themselves.
 */
final class RevisionSignal {
  private long latest;
  private boolean closed;

  RevisionSignal(long latest) {
    this.latest = latest;
  }

  synchronized void advance(long revision) {
    if (revision > latest) {
      latest = revision;
      notifyAll();
    }
  }

  /**
   * Waits until revision {@code atLeast} is committed. Returns {@code false} instead when the
   * signal is closed or {@code stop} turns true (call {@link #wakeAll()} after setting it).
   */
  synchronized boolean await(long atLeast, BooleanSupplier stop) throws InterruptedException {
    while (true) {
      if (closed || stop.getAsBoolean()) {
        return false;
      }
      if (latest >= atLeast) {
        return true;
      }
      wait();
    }
  }

  synchronized void wakeAll() {
    notifyAll();
  }

  synchronized void close() {
    closed = true;
    notifyAll();
  }
}
