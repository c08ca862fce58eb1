package dev.weft.kube.queue;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;

/** A work queue on {@link ManualTime} with a {@link RecordingReconciler}, closed after a test. */
final class Harness implements AutoCloseable {

  /** Per-key backoff as in production, and a bucket too large to matter. */
  static final RateLimiterConfig NO_BUCKET =
      new RateLimiterConfig(Duration.ofMillis(5), Duration.ofMinutes(5), 1e9, 1_000_000_000);

  final ManualTime time = new ManualTime();
  final RecordingReconciler reconciler = new RecordingReconciler();
  final WorkQueue queue;

  Harness(int workers) {
    this(workers, NO_BUCKET, null);
  }

  Harness(int workers, RateLimiterConfig limits, MeterRegistry registry) {
    queue =
        new WorkQueue(
            "test", workers, reconciler, time.clock(), time.scheduler(), limits, registry);
  }

  Harness started() {
    queue.start();
    return this;
  }

  /** Waits for idleness, with a generous real-time bound. */
  AwaitResult idle() throws InterruptedException {
    return queue.awaitIdle(Duration.ofSeconds(20));
  }

  @Override
  public void close() {
    reconciler.openAll();
    queue.shutdown(Duration.ofSeconds(10));
  }

  static ConditionFactory eventually() {
    return Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .pollDelay(Duration.ZERO)
        .pollInterval(Duration.ofMillis(1));
  }
}
