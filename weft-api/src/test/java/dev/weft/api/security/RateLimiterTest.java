package dev.weft.api.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class RateLimiterTest {
  /** A clock tests move by hand. */
  private static final class ManualClock extends Clock {
    private Instant now = Instant.parse("2025-01-01T00:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public java.time.ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }
  }

  private final ManualClock clock = new ManualClock();

  @Test
  void aBurstIsAllowedThenTheClientWaitsForTheRate() {
    RateLimiter limiter = new RateLimiter(new RateLimit(2, 3), clock);

    for (int i = 0; i < 3; i++) {
      assertThat(limiter.acquire("10.0.0.1").allowed()).isTrue();
    }
    RateLimiter.Decision refused = limiter.acquire("10.0.0.1");

    assertThat(refused.allowed()).isFalse();
    assertThat(refused.retryAfter()).isEqualTo(Duration.ofMillis(500));
    clock.advance(Duration.ofMillis(499));
    assertThat(limiter.acquire("10.0.0.1").allowed()).isFalse();
    clock.advance(Duration.ofMillis(2));
    assertThat(limiter.acquire("10.0.0.1").allowed()).isTrue();
  }

  @Test
  void clientsHaveBucketsOfTheirOwn() {
    RateLimiter limiter = new RateLimiter(new RateLimit(1, 1), clock);

    assertThat(limiter.acquire("a").allowed()).isTrue();
    assertThat(limiter.acquire("a").allowed()).isFalse();
    assertThat(limiter.acquire("b").allowed()).isTrue();
  }

  @Test
  void idleClientsAreForgottenAndTooManyShareOneBucket() {
    RateLimiter limiter = new RateLimiter(new RateLimit(1, 1), clock, 2);

    assertThat(limiter.acquire("a").allowed()).isTrue();
    assertThat(limiter.acquire("b").allowed()).isTrue();
    // No room for c while a and b are busy: c and d share the overflow bucket.
    assertThat(limiter.acquire("c").allowed()).isTrue();
    assertThat(limiter.acquire("d").allowed()).isFalse();
    assertThat(limiter.clients()).isEqualTo(3);

    clock.advance(Duration.ofSeconds(2)); // every bucket is full again: the sweep drops them
    assertThat(limiter.acquire("e").allowed()).isTrue();
    assertThat(limiter.clients()).isEqualTo(1);
  }

  @Test
  void offAllowsEverything() {
    RateLimiter limiter = new RateLimiter(RateLimit.OFF, clock);

    for (int i = 0; i < 10_000; i++) {
      assertThat(limiter.acquire("a").allowed()).isTrue();
    }
    assertThat(limiter.clients()).isZero();
  }

  @Test
  void limitsParseFromRateAndBurst() {
    assertThat(RateLimit.parse("50:100")).isEqualTo(new RateLimit(50, 100));
    assertThat(RateLimit.parse("5")).isEqualTo(new RateLimit(5, 10));
    assertThat(RateLimit.parse("0.5")).isEqualTo(new RateLimit(0.5, 1));
    assertThat(RateLimit.parse("off").off()).isTrue();
    assertThatThrownBy(() -> RateLimit.parse("0")).hasMessageContaining("expected RATE[:BURST]");
    assertThatThrownBy(() -> RateLimit.parse("10:0")).hasMessageContaining("expected RATE[:BURST]");
    assertThatThrownBy(() -> RateLimit.parse("fast")).hasMessageContaining("\"fast\"");
  }
}
