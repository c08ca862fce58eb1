package dev.weft.kube.queue;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The meters of one {@link WorkQueue}, all named {@code weft.workqueue.*} and tagged by name. */
final class QueueMetrics {

  private final MeterRegistry registry;
  private final Counter adds;
  private final Counter retries;
  private final Timer queueLatency;
  private final Timer workDuration;
  private final List<Meter> meters;

  QueueMetrics(MeterRegistry registry, String name, WorkQueue queue) {
    this.registry = registry;
    Tags tags = Tags.of("name", name);
    adds =
        Counter.builder("weft.workqueue.adds")
            .description("Keys added to the queue, not counting adds merged into a pending one")
            .tags(tags)
            .register(registry);
    retries =
        Counter.builder("weft.workqueue.retries")
            .description("Rate-limited re-adds: failed reconciles and explicit addRateLimited")
            .tags(tags)
            .register(registry);
    queueLatency =
        Timer.builder("weft.workqueue.queue.latency")
            .description("Time a key waited in the queue between being added and being started")
            .tags(tags)
            .register(registry);
    workDuration =
        Timer.builder("weft.workqueue.work.duration")
            .description("Time one reconcile took")
            .tags(tags)
            .register(registry);
    Gauge depth =
        Gauge.builder("weft.workqueue.depth", queue, WorkQueue::depth)
            .description("Keys ready to run and waiting for a worker")
            .tags(tags)
            .register(registry);
    Gauge inFlight =
        Gauge.builder("weft.workqueue.in.flight", queue, WorkQueue::inFlight)
            .description("Keys being reconciled right now")
            .tags(tags)
            .register(registry);
    Gauge longest =
        Gauge.builder(
                "weft.workqueue.longest.running.processor", queue, WorkQueue::longestRunningSeconds)
            .description("How long the longest reconcile still running has been running")
            .baseUnit("seconds")
            .tags(tags)
            .register(registry);
    Gauge failing =
        Gauge.builder("weft.workqueue.failing", queue, WorkQueue::failingCount)
            .description("Keys whose last reconcile failed and that are being retried")
            .tags(tags)
            .register(registry);
    meters = List.of(adds, retries, queueLatency, workDuration, depth, inFlight, longest, failing);
  }

  void added() {
    adds.increment();
  }

  void retried() {
    retries.increment();
  }

  void started(long waitedNanos) {
    queueLatency.record(Math.max(0, waitedNanos), TimeUnit.NANOSECONDS);
  }

  void finished(long ranNanos) {
    workDuration.record(Math.max(0, ranNanos), TimeUnit.NANOSECONDS);
  }

  /**
   * Unregisters the meters: Micrometer de-duplicates meters by name and tags, so without this a
   * queue re-created under the same name would report through the dead queue's gauges.
   */
  void close() {
    meters.forEach(registry::remove);
  }
}
