package dev.weft.kube.queue;

import static dev.weft.kube.queue.Harness.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random interleavings of adds from several threads against real workers, real time and a real
 * scheduler. The seed fixes the shape of a run (workers, keys, threads, each thread's operations,
 * each reconcile's outcome); thread scheduling is up to the machine, which is the point.
 *
 * <p>Rerun one seed with {@code -Dweft.queue.seed=<seed>}.
 */
@Timeout(60)
class WorkQueuePropertyTest {

  /** Tiny backoffs so retries happen many times within a run; the bucket never binds. */
  private static final RateLimiterConfig FAST =
      new RateLimiterConfig(Duration.ofNanos(100_000), Duration.ofMillis(2), 1e9, 1_000_000_000);

  static LongStream seeds() {
    String fixed = System.getProperty("weft.queue.seed");
    if (fixed != null) {
      return LongStream.of(Long.parseLong(fixed));
    }
    return LongStream.range(0, 12).map(i -> 0x5EED_0000L + i * 7919);
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void oneKeyNeverRunsOnTwoWorkersAtOnce(long seed) throws Exception {
    // Few keys, many threads: every add lands on a key that is probably running right now.
    Scenario scenario = new Scenario(seed, 1 + new Random(seed).nextInt(4)).run();

    assertThat(scenario.overlapped).as(scenario.describe()).isEmpty();
    assertThat(scenario.maxActive.get())
        .as(scenario.describe())
        .isLessThanOrEqualTo(scenario.workers);
    assertThat(scenario.runs).as(scenario.describe()).isNotEmpty();
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void everyKeyIsReconciledSuccessfullyAfterItsLastAdd(long seed) throws Exception {
    Scenario scenario = new Scenario(seed, 1 + new Random(seed).nextInt(40)).run();

    Map<String, Long> lastAdd = new HashMap<>();
    scenario.adds.forEach(add -> lastAdd.merge(add.key(), add.before(), Math::max));
    Map<String, Long> lastSuccess = new HashMap<>();
    scenario.runs.stream()
        .filter(run -> !run.failed())
        .forEach(run -> lastSuccess.merge(run.key(), run.start(), Math::max));
    List<String> stale = new ArrayList<>();
    lastAdd.forEach(
        (key, added) -> {
          long reconciled = lastSuccess.getOrDefault(key, -1L);
          if (reconciled <= added) {
            stale.add(key + " added at " + added + ", last reconciled at " + reconciled);
          }
        });
    assertThat(stale).as(scenario.describe()).isEmpty();
    assertThat(scenario.overlapped).as(scenario.describe()).isEmpty();
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void aMarkCoversEveryAddThatReturnedBeforeIt(long seed) throws Exception {
    Scenario scenario = new Scenario(seed, 1 + new Random(seed).nextInt(20)).run();

    assertThat(scenario.barrierChecks.get()).as(scenario.describe()).isPositive();
    assertThat(scenario.barrierViolations).as(scenario.describe()).isEmpty();
  }

  @Test
  void theOverlapDetectorSeesTwoCallsForOneKeyAtOnce() throws Exception {
    // The properties above are only as good as the detector: call it the way a broken queue would.
    RecordingReconciler reconciler = new RecordingReconciler();
    RecordingReconciler.Gate gate = reconciler.hold("k");
    Thread first =
        new Thread(
            () -> {
              try {
                reconciler.reconcile("k");
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    first.start();
    gate.awaitEntered();

    reconciler.reconcile("k");
    gate.open();
    first.join();

    assertThat(reconciler.overlapped()).containsExactly("k");
  }

  private record AddOp(String key, long before, long returned, boolean immediate) {}

  private record Run(String key, long start, long finish, boolean failed) {}

  /** One randomized run: adders, a barrier checker and an instrumented reconciler. */
  private static final class Scenario implements Reconciler {
    final long seed;
    final int workers;
    final int keyCount;
    final int adderCount;
    final int opsPerAdder;

    /** Orders adds and reconcile starts and ends across all threads. */
    final AtomicLong seq = new AtomicLong();

    final ConcurrentLinkedQueue<AddOp> adds = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Run> runs = new ConcurrentLinkedQueue<>();
    final Set<String> running = ConcurrentHashMap.newKeySet();
    final Set<String> overlapped = ConcurrentHashMap.newKeySet();
    final Map<String, AtomicInteger> runCounts = new ConcurrentHashMap<>();
    final Map<String, Integer> consecutiveFailures = new ConcurrentHashMap<>();
    final AtomicInteger active = new AtomicInteger();
    final AtomicInteger maxActive = new AtomicInteger();
    final AtomicInteger barrierChecks = new AtomicInteger();
    final List<String> barrierViolations = Collections.synchronizedList(new ArrayList<>());

    Scenario(long seed, int keyCount) {
      Random random = new Random(seed);
      random.nextInt(); // consumed by the caller's choice of keyCount
      this.seed = seed;
      this.keyCount = keyCount;
      this.workers = 1 + random.nextInt(8);
      this.adderCount = 2 + random.nextInt(6);
      this.opsPerAdder = 300 + random.nextInt(1200);
    }

    String describe() {
      return String.format(
          "seed %d (rerun with -Dweft.queue.seed=%d): %d workers, %d keys, %d adders x %d ops",
          seed, seed, workers, keyCount, adderCount, opsPerAdder);
    }

    Scenario run() throws Exception {
      ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
      scheduler.setRemoveOnCancelPolicy(true);
      WorkQueue queue =
          new WorkQueue("property", workers, this, new MonotonicClock(), scheduler, FAST, null);
      try {
        queue.start();
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch addersDone = new CountDownLatch(adderCount);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < adderCount; i++) {
          Random plan = new Random(seed * 1_000_003L + i);
          threads.add(
              new Thread(
                  () -> {
                    await(go);
                    for (int op = 0; op < opsPerAdder; op++) {
                      addOne(queue, plan);
                      pause(plan);
                    }
                    addersDone.countDown();
                  },
                  "adder-" + i));
        }
        threads.add(new Thread(() -> checkBarriers(queue, go, addersDone), "barrier-checker"));
        threads.forEach(Thread::start);
        go.countDown();
        for (Thread thread : threads) {
          thread.join();
        }
        eventually()
            .atMost(Duration.ofSeconds(15))
            .until(() -> queue.awaitIdle(Duration.ofMillis(200)).clean());
      } finally {
        assertThat(queue.shutdown(Duration.ofSeconds(5))).as(describe()).isTrue();
        scheduler.shutdownNow();
      }
      return this;
    }

    private void addOne(WorkQueue queue, Random plan) {
      String key = "key-" + plan.nextInt(keyCount);
      int kind = plan.nextInt(100);
      long before = seq.incrementAndGet();
      if (kind < 70) {
        queue.add(key);
      } else if (kind < 85) {
        queue.addAfter(key, Duration.ofNanos(plan.nextInt(2_000_000)));
      } else {
        queue.addRateLimited(key);
      }
      adds.add(new AddOp(key, before, seq.incrementAndGet(), kind < 70));
    }

    /**
     * Bursts of adds with gaps between them, so that adds land on keys that are queued, running,
     * backing off and idle rather than all being merged before the first reconcile starts.
     */
    private static void pause(Random plan) {
      // Yields rather than spins: on a two-core machine spinning adders starve the workers.
      if (plan.nextInt(3) == 0) {
        for (int i = plan.nextInt(10); i > 0; i--) {
          Thread.yield();
        }
      }
    }

    /**
     * While the adders run, repeatedly takes a mark and checks that once awaitProcessed returns,
     * every plain add that had returned before the mark has a reconcile of its key that started
     * after the add and had finished.
     */
    private void checkBarriers(WorkQueue queue, CountDownLatch go, CountDownLatch addersDone) {
      await(go);
      try {
        while (addersDone.getCount() > 0 && barrierChecks.get() < 200) {
          long before = seq.get();
          long mark = queue.mark();
          AwaitResult result = queue.awaitProcessed(mark, Duration.ofSeconds(10));
          long after = seq.incrementAndGet();
          barrierChecks.incrementAndGet();
          if (!result.reached()) {
            barrierViolations.add("mark " + mark + " not reached: " + result);
            return;
          }
          // Per key, the latest start among runs that had finished when the barrier returned.
          Map<String, Long> latestFinishedStart = new HashMap<>();
          for (Run run : runs) {
            if (run.finish() < after) {
              latestFinishedStart.merge(run.key(), run.start(), Math::max);
            }
          }
          for (AddOp add : adds) {
            if (add.immediate()
                && add.returned() <= before
                && latestFinishedStart.getOrDefault(add.key(), -1L) <= add.before()) {
              barrierViolations.add(
                  "mark " + mark + " returned before a run covered " + add + " (at " + after + ")");
            }
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public Result reconcile(String key) throws Exception {
      long start = seq.incrementAndGet();
      if (!running.add(key)) {
        overlapped.add(key);
      }
      maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
      int runNo = runCounts.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      SplittableRandom random =
          new SplittableRandom(seed * 31 + key.hashCode() * 1_000_003L + runNo);
      boolean failed = false;
      try {
        // Widens the window in which a broken queue would start the same key elsewhere.
        for (int i = random.nextInt(20); i > 0; i--) {
          Thread.yield();
        }
        int failures = consecutiveFailures.getOrDefault(key, 0);
        int roll = random.nextInt(100);
        if (roll < 15 && failures < 3) {
          failed = true;
          consecutiveFailures.put(key, failures + 1);
          throw new Exception("injected failure " + (failures + 1) + " of " + key);
        }
        consecutiveFailures.remove(key);
        return roll < 20
            ? Result.requeueAfter(Duration.ofNanos(random.nextInt(1_000_000)))
            : Result.done();
      } finally {
        active.decrementAndGet();
        running.remove(key);
        runs.add(new Run(key, start, seq.incrementAndGet(), failed));
      }
    }

    private static void await(CountDownLatch latch) {
      try {
        if (!latch.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("start signal never came");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }
}
