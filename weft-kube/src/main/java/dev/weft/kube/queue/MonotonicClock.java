package dev.weft.kube.queue;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A {@link Clock} that reads {@link System#nanoTime()}, so queue latencies, backoff and the retry
 * bucket are not skewed when NTP steps the wall clock.
 */
final class MonotonicClock extends Clock {

  private final Instant origin = Instant.now();
  private final long originNanos = System.nanoTime();

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("the work queue clock is always UTC");
  }

  @Override
  public Instant instant() {
    return origin.plusNanos(System.nanoTime() - originNanos);
  }
}
