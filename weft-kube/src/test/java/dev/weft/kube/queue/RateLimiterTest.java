package dev.weft.kube.queue;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RateLimiterTest {

  private static final long MS = 1_000_000;
  private static final long SECOND = 1_000_000_000;

  @Test
  void backoffDoublesFromTheBaseAndStopsAtTheCap() {
    ExponentialBackoff backoff =
        new ExponentialBackoff(Duration.ofMillis(5), Duration.ofMillis(80));
    long[] delays = new long[7];
    for (int i = 0; i < delays.length; i++) {
      delays[i] = backoff.next("k");
    }
    assertThat(delays)
        .containsExactly(5 * MS, 10 * MS, 20 * MS, 40 * MS, 80 * MS, 80 * MS, 80 * MS);
    assertThat(backoff.failures("k")).isEqualTo(7);
  }

  @Test
  void backoffStaysAtTheCapAfterThousandsOfFailures() {
    ExponentialBackoff backoff =
        new ExponentialBackoff(Duration.ofMillis(5), Duration.ofDays(100_000));
    long last = 0;
    for (int i = 0; i < 5_000; i++) {
      long delay = backoff.next("k");
      assertThat(delay).as("failure %d", i + 1).isGreaterThanOrEqualTo(last);
      last = delay;
    }
    assertThat(last).isEqualTo(Duration.ofDays(100_000).toNanos());
  }

  @Test
  void backoffIsPerKeyAndForgetResetsIt() {
    ExponentialBackoff backoff =
        new ExponentialBackoff(Duration.ofMillis(5), Duration.ofMinutes(5));
    backoff.next("a");
    backoff.next("a");
    assertThat(backoff.next("b")).isEqualTo(5 * MS);
    assertThat(backoff.next("a")).isEqualTo(20 * MS);

    backoff.forget("a");

    assertThat(backoff.failures("a")).isZero();
    assertThat(backoff.next("a")).isEqualTo(5 * MS);
  }

  @Test
  void bucketGrantsTheBurstThenSpacesReservationsByTheRate() {
    TokenBucket bucket = new TokenBucket(10, 3, 0);
    assertThat(bucket.reserve(0)).isZero();
    assertThat(bucket.reserve(0)).isZero();
    assertThat(bucket.reserve(0)).isZero();
    assertThat(bucket.reserve(0)).isEqualTo(100 * MS);
    assertThat(bucket.reserve(0)).isEqualTo(200 * MS);
    // 300 ms later three tokens have come back against a debt of two.
    assertThat(bucket.reserve(300 * MS)).isZero();
    assertThat(bucket.reserve(300 * MS)).isEqualTo(100 * MS);
  }

  @Test
  void bucketRefillsOnlyUpToTheBurst() {
    TokenBucket bucket = new TokenBucket(1, 2, 0);
    bucket.reserve(0);
    bucket.reserve(0);
    long hour = 3600 * SECOND;
    assertThat(bucket.reserve(hour)).isZero();
    assertThat(bucket.reserve(hour)).isZero();
    assertThat(bucket.reserve(hour)).isEqualTo(SECOND);
  }

  @Test
  void aClockSteppingBackDoesNotRefillTheBucket() {
    TokenBucket bucket = new TokenBucket(1, 1, 10 * SECOND);
    bucket.reserve(10 * SECOND);
    assertThat(bucket.reserve(5 * SECOND)).isEqualTo(SECOND);
    assertThat(bucket.reserve(10 * SECOND)).isEqualTo(2 * SECOND);
  }

  @Test
  void configDefaultsMatchTheDocumentedValues() {
    assertThat(RateLimiterConfig.defaults())
        .isEqualTo(new RateLimiterConfig(Duration.ofMillis(5), Duration.ofMinutes(5), 50, 300));
  }

  @Test
  void configRejectsValuesThatCannotWork() {
    Duration ms = Duration.ofMillis(1);
    assertThatThrownBy(() -> new RateLimiterConfig(Duration.ZERO, ms, 1, 1))
        .hasMessageContaining("baseDelay");
    assertThatThrownBy(() -> new RateLimiterConfig(ms.multipliedBy(2), ms, 1, 1))
        .hasMessageContaining("maxDelay");
    assertThatThrownBy(() -> new RateLimiterConfig(ms, ms, 0, 1)).hasMessageContaining("qps");
    assertThatThrownBy(() -> new RateLimiterConfig(ms, ms, Double.NaN, 1))
        .hasMessageContaining("qps");
    assertThatThrownBy(() -> new RateLimiterConfig(ms, ms, 1, 0)).hasMessageContaining("burst");
  }
}
