package dev.weft.store;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A {@link WatchListener} that records what it gets and checks the delivery promises as it goes:
 * callbacks never overlap, revisions only grow, and no revision is split over two callbacks or
 * delivered twice. Broken promises are kept in {@link #violations()}.
 */
public class EventCollector implements WatchListener {
  private final List<Ev> events = new ArrayList<>();
  private final List<String> violations = new ArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong compactedAt = new AtomicLong(-1);
  private final AtomicReference<Throwable> error = new AtomicReference<>();
  private long lastRevision;

  @Override
  public void onEvents(List<WatchEvent> batch) {
    if (inFlight.incrementAndGet() != 1) {
      violation("callbacks overlap");
    }
    try {
      if (batch.isEmpty()) {
        violation("empty batch");
      }
      long first = batch.get(0).kv().modRevision();
      synchronized (this) {
        if (first <= lastRevision) {
          violation("batch starts at revision " + first + " after revision " + lastRevision);
        }
        long previous = first;
        for (WatchEvent event : batch) {
          long rev = event.kv().modRevision();
          if (rev < previous) {
            violation("revision " + rev + " after " + previous + " in one batch");
          }
          previous = rev;
          events.add(Ev.of(event));
        }
        lastRevision = previous;
      }
      onBatch(batch);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  /** Hook for tests that need to act inside the callback. */
  protected void onBatch(List<WatchEvent> batch) {}

  @Override
  public void onCompacted(long compactRevision) {
    compactedAt.set(compactRevision);
  }

  @Override
  public void onError(Throwable e) {
    error.set(e);
  }

  private synchronized void violation(String what) {
    violations.add(what);
  }

  public synchronized List<Ev> events() {
    return List.copyOf(events);
  }

  public synchronized int size() {
    return events.size();
  }

  public synchronized List<Long> revisions() {
    return events.stream().map(Ev::revision).distinct().toList();
  }

  public synchronized List<String> violations() {
    return List.copyOf(violations);
  }

  /** The compact revision reported, or -1 if none was. */
  public long compactedAt() {
    return compactedAt.get();
  }

  public Throwable error() {
    return error.get();
  }
}
