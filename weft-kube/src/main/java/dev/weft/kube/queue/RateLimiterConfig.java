package dev.weft.kube.queue;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link WorkQueue} spaces out retries: per-key exponential backoff combined with a global
 * token bucket, the later of the two winning (client-go's default controller rate limiter).
 *
 * <p>Only retries (failed reconciles and {@link WorkQueue#addRateLimited}) are limited; first-time
 * adds never wait for a token, so a burst of real changes is not slowed by a storm of failures.
 *
 * @param baseDelay the first retry's delay; doubled for every further consecutive failure
 * @param maxDelay the cap on the per-key delay
 * @param qps retries per second the bucket refills at, across all keys
 * @param burst how many retries may go through the bucket at once
 */
public record RateLimiterConfig(Duration baseDelay, Duration maxDelay, double qps, int burst) {

  public RateLimiterConfig {
    Objects.requireNonNull(baseDelay, "baseDelay");
    Objects.requireNonNull(maxDelay, "maxDelay");
    if (baseDelay.isNegative() || baseDelay.isZero()) {
      throw new IllegalArgumentException("baseDelay must be positive, was " + baseDelay);
    }
    if (maxDelay.compareTo(baseDelay) < 0) {
      throw new IllegalArgumentException(
          "maxDelay " + maxDelay + " must not be shorter than baseDelay " + baseDelay);
    }
    if (!(qps > 0) || Double.isInfinite(qps)) {
      throw new IllegalArgumentException("qps must be positive and finite, was " + qps);
    }
    if (burst < 1) {
      throw new IllegalArgumentException("burst must be at least 1, was " + burst);
    }
  }

  /** 5 ms doubling to at most 5 minutes per key; 50 retries per second, bursts of 300. */
  public static RateLimiterConfig defaults() {
    return new RateLimiterConfig(Duration.ofMillis(5), Duration.ofMinutes(5), 50, 300);
  }
}
