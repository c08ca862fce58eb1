package dev.weft.kube.queue;

import static dev.weft.kube.queue.Harness.eventually;
import static dev.weft.kube.queue.RecordingReconciler.fail;
import static dev.weft.kube.queue.RecordingReconciler.ms;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class WorkQueueBackoffTest {

  private final List<Harness> harnesses = new ArrayList<>();

  private Harness harness(int workers, RateLimiterConfig limits) {
    Harness harness = new Harness(workers, limits, null);
    harnesses.add(harness);
    return harness.started();
  }

  @AfterEach
  void closeQueues() {
    harnesses.forEach(Harness::close);
  }

  /** Lets the retry due next fire, after checking it is due in exactly {@code expected}. */
  private static void expectRetryIn(Harness h, Duration expected) {
    eventually().until(() -> h.time.pendingDelays().equals(List.of(expected)));
    h.time.advance(expected);
  }

  @Test
  void retryDelaysDoubleFromTheBaseUpToTheCap() {
    Harness h = harness(1, new RateLimiterConfig(ms(5), ms(40), 1e9, 1_000_000_000));
    h.reconciler.behave((key, run) -> fail("down"));
    h.queue.add("k");

    for (long delay : new long[] {5, 10, 20, 40, 40, 40}) {
      expectRetryIn(h, ms(delay));
    }
    eventually().until(() -> h.reconciler.runs("k") == 7);
  }

  @Test
  void successForgetsTheBackoff() {
    Harness h = harness(1, Harness.NO_BUCKET);
    h.reconciler.behave((key, run) -> run <= 3 || run == 5 ? fail("failure " + run) : done());
    h.queue.add("k");
    expectRetryIn(h, ms(5));
    expectRetryIn(h, ms(10));
    expectRetryIn(h, ms(20));
    eventually().until(() -> h.reconciler.runs("k") == 4);
    eventually().until(() -> h.queue.failingKeys().isEmpty());
    assertThat(h.time.pendingDelays()).isEmpty();

    h.queue.add("k");

    expectRetryIn(h, ms(5));
    eventually().until(() -> h.reconciler.runs("k") == 6);
  }

  @Test
  void failingKeysShowsTheLatestErrorUntilTheKeySucceeds() {
    Harness h = harness(1, Harness.NO_BUCKET);
    h.reconciler.behave((key, run) -> run <= 2 ? fail("attempt " + run + " of " + key) : done());
    h.queue.add("k");

    eventually().until(() -> h.queue.failingKeys().equals(Map.of("k", "attempt 1 of k")));
    expectRetryIn(h, ms(5));
    eventually().until(() -> h.queue.failingKeys().equals(Map.of("k", "attempt 2 of k")));
    expectRetryIn(h, ms(10));
    eventually().until(() -> h.queue.failingKeys().isEmpty());
  }

  @Test
  void backoffIsCountedPerKey() {
    Harness h = harness(1, Harness.NO_BUCKET);
    h.reconciler.behave((key, run) -> fail("down"));
    h.queue.add("a");
    expectRetryIn(h, ms(5));
    expectRetryIn(h, ms(10));
    eventually().until(() -> h.time.pendingDelays().equals(List.of(ms(20))));

    h.queue.add("b");

    // a's next retry is unchanged at 20 ms; b's first is the base delay.
    eventually().until(() -> h.time.pendingDelays().equals(List.of(ms(5), ms(20))));
  }

  @Test
  void theGlobalBucketSpacesOutRetriesButNeverFirstTimeAdds() {
    // One retry per second with a burst of two; a 1 ms per-key backoff so the bucket shows.
    Harness h = harness(4, new RateLimiterConfig(ms(1), ms(1), 1, 2));
    Set<String> failedOnce = ConcurrentHashMap.newKeySet();
    h.reconciler.behave(
        (key, run) -> key.startsWith("retry") && failedOnce.add(key) ? fail("once") : done());
    for (int i = 0; i < 4; i++) {
      h.queue.add("retry" + i);
    }

    eventually()
        .until(
            () ->
                h.time
                    .pendingDelays()
                    .equals(List.of(ms(1), ms(1), Duration.ofSeconds(1), Duration.ofSeconds(2))));

    // The bucket is now two tokens in debt; fresh keys must still run with no time passing.
    for (int i = 0; i < 200; i++) {
      h.queue.add("fresh" + i);
    }
    eventually().until(() -> h.reconciler.totalRuns() == 204);
    assertThat(h.time.pendingDelays()).hasSize(4);

    h.time.advance(Duration.ofSeconds(2));
    eventually().until(() -> h.reconciler.totalRuns() == 208);
  }

  @Test
  void theBucketRefillsOverTimeUpToItsBurst() {
    Harness h = harness(1, new RateLimiterConfig(ms(1), ms(1), 1, 2));
    h.time.advance(Duration.ofHours(1));
    for (String key : List.of("a", "b", "c")) {
      h.queue.addRateLimited(key);
    }

    // An hour of refill still leaves only the burst of two, not 3600 tokens.
    assertThat(h.time.pendingDelays()).containsExactly(ms(1), ms(1), Duration.ofSeconds(1));
  }

  @Test
  void aRetryMergedIntoAnEarlierOneSpendsNoToken() {
    Harness h = harness(1, new RateLimiterConfig(ms(5), Duration.ofMinutes(5), 1, 1));
    h.queue.addRateLimited("a");
    assertThat(h.time.pendingDelays()).containsExactly(ms(5));

    // Backoff now says 10 ms, but the pending 5 ms retry is sooner and stays.
    h.queue.addRateLimited("a");
    assertThat(h.time.pendingDelays()).containsExactly(ms(5));

    // Had the second call taken a token, b would wait two seconds, not one.
    h.queue.addRateLimited("b");
    assertThat(h.time.pendingDelays()).containsExactly(ms(5), Duration.ofSeconds(1));
  }

  @Test
  void addRateLimitedOfAQueuedKeyDoesNotDelayIt() throws Exception {
    Harness h = harness(1, Harness.NO_BUCKET);
    RecordingReconciler.Gate gate = h.reconciler.hold("busy");
    h.queue.add("busy");
    gate.awaitEntered();
    h.queue.add("k");
    h.queue.addRateLimited("k");
    assertThat(h.time.scheduledCount()).isZero();

    gate.open();
    assertThat(h.idle().clean()).isTrue();
    assertThat(h.reconciler.runs("k")).isEqualTo(1);
  }

  @Test
  void addRateLimitedGrowsTheBackoffThatASuccessfulRunResets() {
    Harness h = harness(1, Harness.NO_BUCKET);
    h.reconciler.behave((key, run) -> run == 2 ? fail("second run fails") : done());
    h.queue.addRateLimited("k");
    expectRetryIn(h, ms(5));
    eventually().until(() -> h.reconciler.runs("k") == 1);

    h.queue.add("k");

    // The first run succeeded, so the second's failure starts again from the base delay.
    expectRetryIn(h, ms(5));
    eventually().until(() -> h.reconciler.runs("k") == 3);
  }

  private static Result done() {
    return Result.done();
  }
}
