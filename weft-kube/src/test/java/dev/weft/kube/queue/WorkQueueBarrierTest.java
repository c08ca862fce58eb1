package dev.weft.kube.queue;

import static dev.weft.kube.queue.RecordingReconciler.fail;
import static dev.weft.kube.queue.RecordingReconciler.ms;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.kube.queue.RecordingReconciler.Gate;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class WorkQueueBarrierTest {

  private final Harness h = new Harness(1);
  private final ExecutorService waiters = Executors.newCachedThreadPool();

  @AfterEach
  void closeQueue() {
    h.close();
    waiters.shutdownNow();
  }

  private Future<AwaitResult> idleInBackground(Duration timeout) {
    return waiters.submit(() -> h.queue.awaitIdle(timeout));
  }

  private static AwaitResult get(Future<AwaitResult> result) throws Exception {
    return result.get(20, TimeUnit.SECONDS);
  }

  @Nested
  class AwaitIdle {

    @Test
    void returnsAtOnceWhenThereIsNothingToDo() throws Exception {
      h.started();
      AwaitResult result = h.queue.awaitIdle(Duration.ZERO);
      assertThat(result.reached()).isTrue();
      assertThat(result.clean()).isTrue();
      assertThat(result.pending()).isEmpty();
    }

    @Test
    void waitsForQueuedAndRunningKeys() throws Exception {
      h.started();
      Gate gate = h.reconciler.hold("a");
      h.queue.add("a");
      h.queue.add("b");
      gate.awaitEntered();
      Future<AwaitResult> waiting = idleInBackground(Duration.ofSeconds(20));

      AwaitResult short_ = h.queue.awaitIdle(ms(20));
      assertThat(short_.reached()).isFalse();
      assertThat(short_.pending()).containsExactly("a", "b");
      assertThat(waiting).isNotDone();

      gate.open();
      AwaitResult result = get(waiting);
      assertThat(result.clean()).isTrue();
      // Reached means both ran to the end, not merely that they were taken off the queue.
      assertThat(h.reconciler.runs("b")).isEqualTo(1);
      assertThat(h.reconciler.active()).isZero();
    }

    @Test
    void waitsForADelayedAddDueWithinTheWindow() throws Exception {
      h.started();
      h.queue.addAfter("k", ms(10));

      // The window is 20 ms of the (fake) clock, so the add due at 10 ms holds it until 20 ms of
      // real time run out; the fake clock never gets there.
      AwaitResult short_ = h.queue.awaitIdle(ms(20));
      assertThat(short_.reached()).isFalse();
      assertThat(short_.pending()).containsExactly("k");

      Future<Integer> runsSeenOnReturn =
          waiters.submit(
              () -> {
                assertThat(h.queue.awaitIdle(Duration.ofSeconds(20)).clean()).isTrue();
                return h.reconciler.runs("k");
              });
      h.time.advance(ms(10));

      assertThat(runsSeenOnReturn.get(20, TimeUnit.SECONDS)).isEqualTo(1);
    }

    @Test
    void ignoresDelayedAddsDueAfterTheWindow() throws Exception {
      h.started();
      h.queue.addAfter("resync", Duration.ofMinutes(10));

      AwaitResult result = h.queue.awaitIdle(Duration.ofMinutes(9));

      assertThat(result.clean()).isTrue();
      assertThat(h.reconciler.runs("resync")).isZero();
    }

    @Test
    void aFailingKeyIsReportedInsteadOfWaitedFor() throws Exception {
      h.started();
      h.reconciler.behave((key, run) -> key.equals("bad") ? fail("bad is broken") : Result.done());
      h.queue.add("bad");
      h.queue.add("good");

      // Its retry is due in 5 ms, well inside the window, yet the wait returns without it: a
      // key that keeps failing must not hold the caller for the whole timeout.
      AwaitResult result = h.queue.awaitIdle(Duration.ofHours(1));

      assertThat(result.reached()).isTrue();
      assertThat(result.clean()).isFalse();
      assertThat(result.failing()).isEqualTo(Map.of("bad", "bad is broken"));
      assertThat(h.reconciler.runs("good")).isEqualTo(1);
      assertThat(h.time.pendingDelays()).containsExactly(ms(5));
    }

    @Test
    void aRetryThatHasFiredIsWaitedForLikeAnyRun() throws Exception {
      h.started();
      h.reconciler.behave((key, run) -> run == 1 ? fail("transient") : Result.done());
      h.queue.add("k");
      assertThat(h.idle().failing()).containsKey("k");
      Gate retry = h.reconciler.hold("k");
      h.time.advance(ms(5));
      retry.awaitEntered();

      AwaitResult short_ = h.queue.awaitIdle(ms(20));
      assertThat(short_.reached()).isFalse();
      assertThat(short_.pending()).containsExactly("k");
      assertThat(short_.failing()).containsKey("k");

      retry.open();
      assertThat(h.idle().clean()).isTrue();
    }

    @Test
    void waitsForAQueueThatHasNotStartedAndReportsItsKeys() throws Exception {
      h.queue.add("early");

      AwaitResult before = h.queue.awaitIdle(ms(20));
      assertThat(before.reached()).isFalse();
      assertThat(before.pending()).containsExactly("early");

      h.started();
      assertThat(h.idle().clean()).isTrue();
    }

    @Test
    void returnsAtOnceOnAClosedQueueReportingWhatWasDropped() throws Exception {
      h.queue.add("dropped");
      h.queue.addAfter("delayed", Duration.ofSeconds(1));
      h.queue.close();

      AwaitResult result = h.queue.awaitIdle(Duration.ofHours(1));

      assertThat(result.reached()).isFalse();
      assertThat(result.pending()).containsExactly("delayed", "dropped");
    }

    @Test
    void closingWakesAWaiter() throws Exception {
      h.queue.add("never-started");
      Future<AwaitResult> waiting = idleInBackground(Duration.ofHours(1));

      h.queue.close();

      assertThat(get(waiting).reached()).isFalse();
    }
  }

  @Nested
  class AwaitProcessed {

    @Test
    void coversAddsBeforeTheMarkAndNotAfter() throws Exception {
      h.started();
      Gate a = h.reconciler.hold("a");
      h.queue.add("a");
      h.queue.add("b");
      a.awaitEntered();
      long mark = h.queue.mark();
      Gate c = h.reconciler.hold("c");
      h.queue.add("c");

      Future<AwaitResult> waiting =
          waiters.submit(() -> h.queue.awaitProcessed(mark, Duration.ofSeconds(20)));
      AwaitResult short_ = h.queue.awaitProcessed(mark, ms(20));
      assertThat(short_.reached()).isFalse();
      assertThat(short_.pending()).containsExactly("a", "b");
      a.open();

      // c, added after the mark, is still held at its gate when the barrier is reached.
      assertThat(get(waiting).clean()).isTrue();
      assertThat(h.reconciler.runs("b")).isEqualTo(1);
      c.awaitEntered();
      assertThat(h.queue.inFlight()).isEqualTo(1);
      c.open();
    }

    @Test
    void anAddDuringARunBeforeTheMarkNeedsTheRerun() throws Exception {
      h.started();
      Gate first = h.reconciler.hold("k");
      h.queue.add("k");
      first.awaitEntered();
      h.queue.add("k");
      long mark = h.queue.mark();
      Gate rerun = h.reconciler.hold("k");
      first.open();
      rerun.awaitEntered();

      AwaitResult short_ = h.queue.awaitProcessed(mark, ms(20));
      assertThat(short_.reached()).isFalse();
      assertThat(short_.pending()).containsExactly("k");

      rerun.open();
      assertThat(h.queue.awaitProcessed(mark, Duration.ofSeconds(20)).clean()).isTrue();
      assertThat(h.reconciler.runs("k")).isEqualTo(2);
    }

    @Test
    void anAddDuringARunAfterTheMarkDoesNotNeedTheRerun() throws Exception {
      h.started();
      Gate first = h.reconciler.hold("k");
      h.queue.add("k");
      first.awaitEntered();
      long mark = h.queue.mark();
      h.queue.add("k");
      Gate rerun = h.reconciler.hold("k");
      first.open();

      assertThat(h.queue.awaitProcessed(mark, Duration.ofSeconds(20)).clean()).isTrue();
      rerun.awaitEntered();
      rerun.open();
      assertThat(h.idle().clean()).isTrue();
    }

    @Test
    void aFailedRunCountsAsProcessedAndIsReported() throws Exception {
      h.started();
      h.reconciler.behave((key, run) -> fail("cannot"));
      h.queue.add("k");
      long mark = h.queue.mark();

      AwaitResult result = h.queue.awaitProcessed(mark, Duration.ofHours(1));

      assertThat(result.reached()).isTrue();
      assertThat(result.failing()).containsEntry("k", "cannot");
      assertThat(h.time.pendingDelays()).containsExactly(ms(5));
    }

    @Test
    void delayedAddsThatHaveNotFiredAreNotCovered() throws Exception {
      h.started();
      h.queue.addAfter("k", Duration.ofHours(1));
      long mark = h.queue.mark();

      assertThat(h.queue.awaitProcessed(mark, Duration.ZERO).clean()).isTrue();

      h.time.advance(Duration.ofHours(1));
      long later = h.queue.mark();
      assertThat(later).isGreaterThan(mark);
      assertThat(h.queue.awaitProcessed(later, Duration.ofSeconds(20)).clean()).isTrue();
      assertThat(h.reconciler.runs("k")).isEqualTo(1);
    }

    @Test
    void isNotReachedWhenCloseDropsACoveredKey() throws Exception {
      h.queue.add("k");
      long mark = h.queue.mark();
      CompletableFuture<AwaitResult> waiting = new CompletableFuture<>();
      waiters.submit(
          () -> {
            try {
              waiting.complete(h.queue.awaitProcessed(mark, Duration.ofHours(1)));
            } catch (InterruptedException e) {
              waiting.completeExceptionally(e);
            }
          });

      h.queue.close();

      AwaitResult result = waiting.get(20, TimeUnit.SECONDS);
      assertThat(result.reached()).isFalse();
      assertThat(result.pending()).containsExactly("k");
    }
  }
}
