package dev.weft.kube.queue;

import static dev.weft.kube.queue.Harness.eventually;
import static dev.weft.kube.queue.RecordingReconciler.fail;
import static dev.weft.kube.queue.RecordingReconciler.ms;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.kube.queue.RecordingReconciler.Gate;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class WorkQueueTest {

  private final List<Harness> harnesses = new ArrayList<>();

  private Harness harness(int workers) {
    Harness harness = new Harness(workers);
    harnesses.add(harness);
    return harness;
  }

  @AfterEach
  void closeQueues() {
    harnesses.forEach(Harness::close);
  }

  @Test
  void keyAddedTwiceBeforeStartIsReconciledOnce() throws Exception {
    Harness h = harness(2);
    h.queue.add("a");
    h.queue.add("a");
    h.queue.add("b");
    assertThat(h.queue.depth()).isEqualTo(2);

    h.started();

    assertThat(h.idle().clean()).isTrue();
    assertThat(h.reconciler.runs("a")).isEqualTo(1);
    assertThat(h.reconciler.runs("b")).isEqualTo(1);
  }

  @Test
  void keyAddedRepeatedlyWhileQueuedIsReconciledOnce() throws Exception {
    Harness h = harness(1).started();
    Gate busy = h.reconciler.hold("busy");
    h.queue.add("busy");
    busy.awaitEntered();

    for (int i = 0; i < 5; i++) {
      h.queue.add("k");
    }
    assertThat(h.queue.depth()).isEqualTo(1);
    busy.open();

    assertThat(h.idle().clean()).isTrue();
    assertThat(h.reconciler.runs("k")).isEqualTo(1);
  }

  @Test
  void differentKeysRunInParallelUpToTheWorkerCount() throws Exception {
    Harness h = harness(4).started();
    List<Gate> gates = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      gates.add(h.reconciler.hold("k" + i));
      h.queue.add("k" + i);
    }

    // Four runs held at their gates at the same time can only mean four workers in parallel.
    eventually().until(() -> h.reconciler.active() == 4);
    assertThat(h.queue.depth()).isEqualTo(2);
    assertThat(h.queue.inFlight()).isEqualTo(4);
    gates.forEach(Gate::open);

    assertThat(h.idle().clean()).isTrue();
    assertThat(h.reconciler.totalRuns()).isEqualTo(6);
    assertThat(h.reconciler.maxActive()).isEqualTo(4);
  }

  @Test
  void keyAddedWhileRunningIsRerunExactlyOnceAfterTheRunEnds() throws Exception {
    // Two workers, so a free worker is there to (wrongly) pick the key up while it runs.
    Harness h = harness(2).started();
    Gate first = h.reconciler.hold("k");
    h.queue.add("k");
    first.awaitEntered();

    List<Thread> adders = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      Thread adder =
          new Thread(
              () -> {
                for (int i = 0; i < 100; i++) {
                  h.queue.add("k");
                }
              });
      adders.add(adder);
      adder.start();
    }
    for (Thread adder : adders) {
      adder.join();
    }
    // Owed a run, but kept out of the ready queue while it is running.
    assertThat(h.queue.depth()).isZero();
    assertThat(h.queue.inFlight()).isEqualTo(1);
    Gate second = h.reconciler.hold("k");
    first.open();

    second.awaitEntered();
    assertThat(h.reconciler.runs("k")).isEqualTo(2);
    second.open();
    assertThat(h.idle().clean()).isTrue();
    assertThat(h.reconciler.runs("k")).isEqualTo(2);
    assertThat(h.reconciler.overlapped()).isEmpty();
  }

  @Test
  void addDuringAFailingRunRerunsAtOnceInsteadOfBackingOff() throws Exception {
    Harness h = harness(1).started();
    h.reconciler.behave((key, run) -> run == 1 ? fail("first run fails") : Result.done());
    Gate first = h.reconciler.hold("k");
    h.queue.add("k");
    first.awaitEntered();
    h.queue.add("k");
    first.open();

    // No time passes on the fake clock, so only the re-run (not the 5 ms retry) can run it again.
    eventually().until(() -> h.reconciler.runs("k") == 2);
    assertThat(h.idle().clean()).isTrue();
    assertThat(h.time.pendingDelays()).isEmpty();
    assertThat(h.queue.failingKeys()).isEmpty();
  }

  @Test
  void requeueAfterRunsTheKeyAgainAfterTheDelay() throws Exception {
    Harness h = harness(1).started();
    h.reconciler.behave(
        (key, run) -> run == 1 ? Result.requeueAfter(Duration.ofSeconds(30)) : Result.done());
    h.queue.add("k");

    eventually().until(() -> h.time.pendingDelays().equals(List.of(Duration.ofSeconds(30))));
    h.time.advance(Duration.ofSeconds(30).minusMillis(1));
    // A zero window: idle unless something is queued or running; the requeue is 1 ms out.
    assertThat(h.queue.awaitIdle(Duration.ZERO).reached()).isTrue();
    assertThat(h.reconciler.runs("k")).isEqualTo(1);

    h.time.advance(ms(1));
    assertThat(h.idle().clean()).isTrue();
    assertThat(h.reconciler.runs("k")).isEqualTo(2);
    assertThat(h.time.pendingDelays()).isEmpty();
  }

  @Test
  void requeueAfterIsNotAFailureAndResetsTheBackoff() throws Exception {
    Harness h = harness(1).started();
    h.reconciler.behave(
        (key, run) ->
            switch (run) {
              case 1, 2 -> fail("not yet");
              case 3 -> Result.requeueAfter(Duration.ofSeconds(1));
              case 4 -> fail("again");
              default -> Result.done();
            });
    h.queue.add("k");
    eventually().until(() -> h.time.pendingDelays().equals(List.of(ms(5))));
    h.time.advance(ms(5));
    eventually().until(() -> h.time.pendingDelays().equals(List.of(ms(10))));
    h.time.advance(ms(10));
    eventually().until(() -> h.time.pendingDelays().equals(List.of(Duration.ofSeconds(1))));
    assertThat(h.queue.failingKeys()).isEmpty();

    h.time.advance(Duration.ofSeconds(1));

    // Had the requeue counted as a failure, this retry would wait 20 ms.
    eventually().until(() -> h.time.pendingDelays().equals(List.of(ms(5))));
    assertThat(h.queue.failingKeys()).containsEntry("k", "again");
  }

  @Test
  void requeueAfterZeroRunsTheKeyAgainAtOnce() throws Exception {
    Harness h = harness(1).started();
    h.reconciler.behave((key, run) -> run < 3 ? Result.requeueAfter(Duration.ZERO) : Result.done());
    h.queue.add("k");

    eventually().until(() -> h.reconciler.runs("k") == 3);
    assertThat(h.idle().clean()).isTrue();
    assertThat(h.time.scheduledCount()).isZero();
  }

  @Test
  void addCancelsAPendingDelayedAdd() throws Exception {
    Harness h = harness(1).started();
    h.queue.addAfter("k", Duration.ofHours(1));
    assertThat(h.time.pendingDelays()).containsExactly(Duration.ofHours(1));

    h.queue.add("k");

    eventually().until(() -> h.reconciler.runs("k") == 1);
    assertThat(h.time.pendingDelays()).isEmpty();
    h.time.advance(Duration.ofHours(2));
    assertThat(h.idle().clean()).isTrue();
    assertThat(h.reconciler.runs("k")).isEqualTo(1);
  }

  @Test
  void theEarliestDelayedAddWins() throws Exception {
    Harness h = harness(1).started();
    h.queue.addAfter("k", Duration.ofSeconds(10));
    h.queue.addAfter("k", Duration.ofSeconds(2));
    h.queue.addAfter("k", Duration.ofSeconds(5));
    assertThat(h.time.pendingDelays()).containsExactly(Duration.ofSeconds(2));

    h.time.advance(Duration.ofSeconds(2));
    assertThat(h.idle().clean()).isTrue();
    assertThat(h.reconciler.runs("k")).isEqualTo(1);

    h.time.advance(Duration.ofSeconds(60));
    assertThat(h.idle().clean()).isTrue();
    assertThat(h.reconciler.runs("k")).isEqualTo(1);
  }

  @Test
  void delayedAddOfAKeyAlreadyQueuedIsDropped() throws Exception {
    Harness h = harness(1);
    h.queue.add("k");
    h.queue.addAfter("k", Duration.ofSeconds(1));
    assertThat(h.time.scheduledCount()).isZero();

    h.started();
    assertThat(h.idle().clean()).isTrue();
    assertThat(h.reconciler.runs("k")).isEqualTo(1);
  }

  @Test
  void delayedAddOfARunningKeyRunsItAgainWhenDue() throws Exception {
    Harness h = harness(1).started();
    Gate gate = h.reconciler.hold("k");
    h.queue.add("k");
    gate.awaitEntered();
    h.queue.addAfter("k", Duration.ofSeconds(1));
    gate.open();
    eventually().until(() -> h.queue.inFlight() == 0);

    h.time.advance(Duration.ofSeconds(1));

    eventually().until(() -> h.reconciler.runs("k") == 2);
  }

  @Test
  void aReconcilerReturningNullIsTreatedAsAFailure() throws Exception {
    Harness h = harness(1).started();
    h.reconciler.behave((key, run) -> run == 1 ? null : Result.done());
    h.queue.add("k");

    eventually().until(() -> h.queue.failingKeys().containsKey("k"));
    assertThat(h.queue.failingKeys().get("k")).contains("returned null");
    h.time.advance(ms(5));
    eventually().until(() -> h.queue.failingKeys().isEmpty());
    assertThat(h.reconciler.runs("k")).isEqualTo(2);
  }

  @Test
  void anErrorThrownByTheReconcilerIsRetriedAndTheWorkerCarriesOn() throws Exception {
    Harness h = harness(1).started();
    h.reconciler.behave(
        (key, run) -> {
          if (key.equals("bad") && run == 1) {
            throw new AssertionError("broken invariant");
          }
          return Result.done();
        });
    h.queue.add("bad");
    eventually().until(() -> h.queue.failingKeys().containsKey("bad"));

    h.queue.add("good");
    eventually().until(() -> h.reconciler.runs("good") == 1);
    h.time.advance(ms(5));
    eventually().until(() -> h.reconciler.runs("bad") == 2);
    assertThat(h.idle().clean()).isTrue();
  }

  @Test
  void aReconcilerMayAddItsOwnKeyToBeRunAgain() throws Exception {
    Harness h = harness(2).started();
    h.reconciler.behave(
        (key, run) -> {
          if (run < 3) {
            h.queue.add(key);
          }
          return Result.done();
        });
    h.queue.add("k");

    eventually().until(() -> h.reconciler.runs("k") == 3);
    assertThat(h.idle().clean()).isTrue();
    assertThat(h.reconciler.runs("k")).isEqualTo(3);
    assertThat(h.reconciler.overlapped()).isEmpty();
  }

  @Test
  void metricsTrackDepthAddsRetriesLatencyAndRunningTime() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Harness h = new Harness(1, Harness.NO_BUCKET, registry);
    harnesses.add(h);
    h.started();
    h.reconciler.behave(
        (key, run) -> key.equals("b") && run == 1 ? fail("b fails once") : Result.done());
    Gate gate = h.reconciler.hold("a");
    h.queue.add("a");
    gate.awaitEntered();
    h.queue.add("b");
    h.queue.add("b");
    h.time.advance(Duration.ofSeconds(3));

    assertThat(gauge(registry, "weft.workqueue.depth")).isEqualTo(1);
    assertThat(gauge(registry, "weft.workqueue.in.flight")).isEqualTo(1);
    assertThat(gauge(registry, "weft.workqueue.longest.running.processor")).isEqualTo(3.0);
    assertThat(registry.get("weft.workqueue.adds").tag("name", "test").counter().count())
        .isEqualTo(2);

    gate.open();
    eventually().until(() -> gauge(registry, "weft.workqueue.failing") == 1);
    assertThat(registry.get("weft.workqueue.retries").counter().count()).isEqualTo(1);
    h.time.advance(ms(5));
    assertThat(h.idle().clean()).isTrue();

    assertThat(gauge(registry, "weft.workqueue.failing")).isZero();
    assertThat(gauge(registry, "weft.workqueue.in.flight")).isZero();
    assertThat(registry.get("weft.workqueue.work.duration").timer().count()).isEqualTo(3);
    assertThat(registry.get("weft.workqueue.work.duration").timer().max(TimeUnit.SECONDS))
        .isEqualTo(3.0);
    assertThat(registry.get("weft.workqueue.queue.latency").timer().count()).isEqualTo(3);
    // b waited the three (fake) seconds a was running.
    assertThat(registry.get("weft.workqueue.queue.latency").timer().max(TimeUnit.SECONDS))
        .isEqualTo(3.0);
  }

  @Test
  void closeUnregistersTheMetricsSoASuccessorQueueReportsItsOwn() throws Exception {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    Harness first = new Harness(1, Harness.NO_BUCKET, registry);
    first.queue.add("x");
    first.close();
    assertThat(registry.find("weft.workqueue.depth").gauge()).isNull();

    Harness second = new Harness(1, Harness.NO_BUCKET, registry);
    harnesses.add(second);
    second.queue.add("a");
    second.queue.add("b");

    assertThat(gauge(registry, "weft.workqueue.depth")).isEqualTo(2);
  }

  @Test
  void startingTwiceOrAfterCloseIsRefused() {
    Harness h = harness(1).started();
    assertThatThrownBy(h.queue::start).isInstanceOf(IllegalStateException.class);
    h.queue.close();
    assertThatThrownBy(h.queue::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  void constructorRejectsANonPositiveWorkerCount() {
    ManualTime time = new ManualTime();
    assertThatThrownBy(
            () ->
                new WorkQueue(
                    "q",
                    0,
                    key -> Result.done(),
                    time.clock(),
                    time.scheduler(),
                    RateLimiterConfig.defaults(),
                    null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("workers");
  }

  @Test
  void resultRejectsNegativeDelays() {
    assertThat(Result.done().requeueAfter()).isNull();
    assertThat(Result.requeueAfter(ms(5)).requeueAfter()).isEqualTo(ms(5));
    assertThatThrownBy(() -> Result.requeueAfter(ms(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void productionFactoryRunsDelayedAddsOnItsOwnThreadAndStopsIt() throws Exception {
    CountDownLatch ran = new CountDownLatch(2);
    WorkQueue queue =
        WorkQueue.create(
            "smoke",
            2,
            key -> {
              ran.countDown();
              return Result.done();
            },
            null);
    try {
      queue.start();
      queue.add("now");
      queue.addAfter("later", ms(20));
      assertThat(ran.await(20, TimeUnit.SECONDS)).isTrue();
    } finally {
      assertThat(queue.shutdown(Duration.ofSeconds(10))).isTrue();
    }
    eventually().until(() -> !threadAlive("weft-workqueue-smoke-"));
  }

  private static double gauge(SimpleMeterRegistry registry, String name) {
    return registry.get(name).tag("name", "test").gauge().value();
  }

  private static boolean threadAlive(String prefix) {
    return Thread.getAllStackTraces().keySet().stream()
        .anyMatch(thread -> thread.getName().startsWith(prefix) && thread.isAlive());
  }
}
