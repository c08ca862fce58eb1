package dev.weft.kube.queue;

import static dev.weft.kube.queue.Harness.eventually;
import static dev.weft.kube.queue.RecordingReconciler.fail;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.kube.queue.RecordingReconciler.Gate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class WorkQueueCloseTest {

  private final Harness h = new Harness(1);

  @AfterEach
  void closeQueue() {
    h.close();
  }

  @Test
  void closeLetsTheRunningReconcileFinishAndDropsEverythingElse() throws Exception {
    h.started();
    AtomicBoolean interrupted = new AtomicBoolean();
    h.reconciler.behave(
        (key, run) -> {
          interrupted.set(Thread.currentThread().isInterrupted());
          return Result.done();
        });
    Gate gate = h.reconciler.hold("running");
    h.queue.add("running");
    gate.awaitEntered();
    h.queue.add("queued");
    h.queue.addAfter("delayed", Duration.ofSeconds(1));

    CompletableFuture<Boolean> closing =
        CompletableFuture.supplyAsync(() -> h.queue.shutdown(Duration.ofSeconds(20)));

    // The delayed add's timer is cancelled as the queue closes; from then on close is waiting.
    eventually().until(() -> h.time.pendingDelays().isEmpty());
    assertThat(closing).isNotDone();
    gate.open();
    assertThat(closing.get(20, TimeUnit.SECONDS)).isTrue();
    assertThat(interrupted).isFalse();

    h.time.advance(Duration.ofSeconds(2));
    assertThat(h.reconciler.order()).containsExactly("running");
  }

  @Test
  void addsAfterCloseAreIgnored() throws Exception {
    h.started();
    h.queue.close();

    h.queue.add("a");
    h.queue.addAfter("b", Duration.ofSeconds(1));
    h.queue.addRateLimited("c");

    assertThat(h.queue.depth()).isZero();
    assertThat(h.time.scheduledCount()).isZero();
    assertThat(h.reconciler.totalRuns()).isZero();
  }

  @Test
  void aRunFailingDuringCloseIsRecordedButNotRetried() throws Exception {
    h.started();
    h.reconciler.behave((key, run) -> fail("failed while closing"));
    Gate gate = h.reconciler.hold("k");
    h.queue.add("k");
    gate.awaitEntered();
    CompletableFuture<Boolean> closing =
        CompletableFuture.supplyAsync(() -> h.queue.shutdown(Duration.ofSeconds(20)));
    h.queue.addAfter("marker", Duration.ofHours(1));
    eventually().until(() -> h.time.pendingDelays().isEmpty());

    gate.open();

    assertThat(closing.get(20, TimeUnit.SECONDS)).isTrue();
    assertThat(h.queue.failingKeys()).containsEntry("k", "failed while closing");
    assertThat(h.time.pendingDelays()).isEmpty();
  }

  @Test
  void shutdownGivesUpAfterTheGraceAndInterruptsTheStuckReconcile() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    CountDownLatch entered = new CountDownLatch(1);
    AtomicReference<Throwable> seen = new AtomicReference<>();
    WorkQueue queue =
        new WorkQueue(
            "stuck",
            1,
            key -> {
              entered.countDown();
              try {
                never.await();
              } catch (InterruptedException e) {
                seen.set(e);
                throw e;
              }
              return Result.done();
            },
            h.time.clock(),
            h.time.scheduler(),
            Harness.NO_BUCKET,
            null);
    queue.start();
    queue.add("k");
    assertThat(entered.await(20, TimeUnit.SECONDS)).isTrue();

    assertThat(queue.shutdown(Duration.ofMillis(50))).isFalse();

    eventually().until(() -> seen.get() instanceof InterruptedException);
    eventually().until(() -> queue.inFlight() == 0);
    assertThat(h.time.pendingDelays()).isEmpty();
  }

  @Test
  void closeIsIdempotentAndWorksBeforeStart() {
    h.queue.add("never");
    assertThat(h.queue.shutdown(Duration.ofSeconds(1))).isTrue();
    assertThat(h.queue.shutdown(Duration.ofSeconds(1))).isTrue();
    h.queue.close();
    assertThat(h.reconciler.totalRuns()).isZero();
  }

  @Test
  void aReconcilerMayCloseItsOwnQueue() throws Exception {
    Harness two = new Harness(2);
    try {
      AtomicBoolean closed = new AtomicBoolean();
      two.reconciler.behave(
          (key, run) -> {
            closed.set(two.queue.shutdown(Duration.ofSeconds(20)));
            return Result.done();
          });
      two.started();
      two.queue.add("k");

      // It cannot wait for itself, but the other worker stops and the call returns.
      eventually().untilTrue(closed);
      eventually().until(() -> two.queue.inFlight() == 0);
    } finally {
      two.close();
    }
  }
}
