package dev.weft.kube.queue;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What {@link WorkQueue#awaitIdle} or {@link WorkQueue#awaitProcessed} saw when it returned.
 *
 * @param reached whether the awaited condition held before the timeout (or the queue was closed)
 * @param pending the keys that still held the wait when it gave up; empty when {@code reached}
 * @param failing every key whose most recent reconcile threw, with that error's message, at the
 *     time of return; such keys are being retried with backoff and did not hold the wait
 */
public record AwaitResult(boolean reached, Set<String> pending, Map<String, String> failing) {

  public AwaitResult {
    // Sorted copies so that a failed assertion or a status page prints the same text every time.
    pending = Collections.unmodifiableSortedSet(new TreeSet<>(pending));
    failing = Collections.unmodifiableSortedMap(new TreeMap<>(failing));
  }

  /** True when the condition was reached and no key is failing. */
  public boolean clean() {
    return reached && failing.isEmpty();
  }
}
