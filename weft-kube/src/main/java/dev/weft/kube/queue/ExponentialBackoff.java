package dev.weft.kube.queue;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Per-key retry delays that double with each consecutive failure, up to a cap.
 *
 * <p>Not thread-safe: {@link WorkQueue} calls it under its lock.
 */
final class ExponentialBackoff {

  private final long baseNanos;
  private final long maxNanos;
  private final Map<String, Integer> failures = new HashMap<>();

  ExponentialBackoff(Duration base, Duration max) {
    this.baseNanos = base.toNanos();
    this.maxNanos = max.toNanos();
  }

  /** Counts one more failure of {@code key} and returns how long to wait before retrying it. */
  long next(String key) {
    int exponent = failures.merge(key, 1, Integer::sum) - 1;
    // Doubles so that a key failing for days neither overflows a long nor wraps to a short delay.
    double delay = Math.scalb((double) baseNanos, Math.min(exponent, 1024));
    return delay >= maxNanos ? maxNanos : (long) delay;
  }

  /** Consecutive failures of {@code key} counted so far. */
  int failures(String key) {
    return failures.getOrDefault(key, 0);
  }

  /** Forgets {@code key}'s failures, so its next failure waits only the base delay. */
  void forget(String key) {
    failures.remove(key);
  }
}
