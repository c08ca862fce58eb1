package dev.weft.kube.queue;

/**
 * A token bucket that hands out reservations: every call takes a token, possibly one that will only
 * exist in the future, and says how long to wait for it (Go's {@code rate.Limiter.Reserve}).
 *
 * <p>Not thread-safe: {@link WorkQueue} calls it under its lock.
 */
final class TokenBucket {

  private final double perSecond;
  private final double burst;
  private double tokens;
  private long lastNanos;

  TokenBucket(double perSecond, int burst, long nowNanos) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.tokens = burst;
    this.lastNanos = nowNanos;
  }

  /** Takes a token and returns the nanoseconds until it is available (0 if it is now). */
  long reserve(long nowNanos) {
    // A clock that stepped back must not refill the bucket, so only forward time counts.
    if (nowNanos > lastNanos) {
      tokens = Math.min(burst, tokens + (nowNanos - lastNanos) / 1e9 * perSecond);
      lastNanos = nowNanos;
    }
    tokens -= 1;
    return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / perSecond * 1e9);
  }
}
