package dev.weft.api.security;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A token bucket per client: each client may make {@link RateLimit#burst()} requests at once and
 * {@link RateLimit#perSecond()} on average, so one busy or hostile client cannot starve the others
 * or guess tokens quickly.
 *
 * <p>Memory is bounded: a bucket that has filled up again is the same as no bucket and is dropped
 * by a sweep, and when {@code maxClients} buckets are all in use, further clients share one
 * overflow bucket (a flood from many addresses then slows new clients down instead of exhausting
 * memory). Thread-safe; time comes from the injected {@link Clock}.
 */
public final class RateLimiter {
  /** What to do with a request: go ahead, or wait {@code retryAfter} and try again. */
  public record Decision(boolean allowed, Duration retryAfter) {
    static final Decision ALLOW = new Decision(true, Duration.ZERO);
  }

  private static final String OVERFLOW = "\0overflow";
  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final RateLimit limit;
  private final Clock clock;
  private final int maxClients;
  private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();
  private volatile long lastSweep = Long.MIN_VALUE;

  private final class Bucket {
    private double tokens = limit.burst();
    private long updated;

    Bucket(long now) {
      updated = now;
    }

    synchronized Decision take(long now) {
      refill(now);
      if (tokens >= 1) {
        tokens -= 1;
        return Decision.ALLOW;
      }
      double seconds = (1 - tokens) / limit.perSecond();
      return new Decision(false, Duration.ofNanos((long) Math.ceil(seconds * NANOS_PER_SECOND)));
    }

    synchronized boolean full(long now) {
      refill(now);
      return tokens >= limit.burst();
    }

    private void refill(long now) {
      if (now > updated) {
        tokens =
            Math.min(
                limit.burst(),
                tokens + (now - updated) * limit.perSecond() / (double) NANOS_PER_SECOND);
        updated = now;
      }
    }
  }

  /**
   * @param maxClients how many clients get a bucket of their own before the rest share one
   */
  public RateLimiter(RateLimit limit, Clock clock, int maxClients) {
    this.limit = Objects.requireNonNull(limit, "limit");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (maxClients < 1) {
      throw new IllegalArgumentException("maxClients must be at least 1");
    }
    this.maxClients = maxClients;
  }

  /** A limiter for up to 100,000 clients at once. */
  public RateLimiter(RateLimit limit, Clock clock) {
    this(limit, clock, 100_000);
  }

  /** Takes one request from {@code client}'s bucket. */
  public Decision acquire(String client) {
    if (limit.off()) {
      return Decision.ALLOW;
    }
    long now = nanos(clock.instant());
    Bucket bucket = buckets.get(client);
    if (bucket == null) {
      if (buckets.size() >= maxClients) {
        sweep(now);
      }
      String key = buckets.size() >= maxClients ? OVERFLOW : client;
      bucket = buckets.computeIfAbsent(key, k -> new Bucket(now));
    }
    return bucket.take(now);
  }

  /** How many clients have a bucket now (for tests and metrics). */
  public int clients() {
    return buckets.size();
  }

  private void sweep(long now) {
    // At most one sweep a second: under a flood of new clients the overflow bucket takes them.
    long last = lastSweep;
    if (last != Long.MIN_VALUE && now - last < NANOS_PER_SECOND) {
      return;
    }
    lastSweep = now;
    buckets.entrySet().removeIf(e -> e.getValue().full(now));
  }

  private static long nanos(Instant t) {
    return t.getEpochSecond() * NANOS_PER_SECOND + t.getNano();
  }

  public RateLimit limit() {
    return limit;
  }
}
