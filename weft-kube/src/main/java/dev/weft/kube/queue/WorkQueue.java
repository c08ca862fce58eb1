package dev.weft.kube.queue;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kube-manager's keyed work queue: de-duplicates keys, reconciles different keys in parallel
 * but never one key on two workers at once, retries failures with per-key backoff under a global
 * rate limit, and re-runs a key that was added while it was being reconciled.
 *
 * <p>A key is in at most one of three places besides being processed: <em>dirty</em> (a run is owed
 * and will start as soon as a worker is free and the key is not running), <em>delayed</em> (a run
 * is owed at a future time) or nowhere. Asking for a run merges with what is already owed, and the
 * earliest request wins: {@link #add} on a delayed key cancels the delay, a delayed add on a dirty
 * key is dropped, and of two delayed adds the earlier stays. This is sound because reconciles are
 * level-based: the earlier run reads the current state and returns its own {@link Result}, which
 * decides whether the key needs another look later.
 *
 * <p>Adds made before {@link #start()} are kept and run once the workers start. After {@link
 * #close()} adds are ignored. All methods are thread-safe and may be called from reconcilers.
 */
public final class WorkQueue implements AutoCloseable {

  /** How long {@link #close()} waits for in-flight reconciles before interrupting them. */
  public static final Duration DEFAULT_CLOSE_GRACE = Duration.ofSeconds(30);

  private static final Logger log = LoggerFactory.getLogger(WorkQueue.class);

  private enum State {
    NEW,
    RUNNING,
    CLOSED
  }

  /** A key that is owed a run: the sequence number of the first add it stands for. */
  private record Pending(long sinceSeq, long readyNanos) {}

  /** A key being reconciled: the first add its run covers, and when it started. */
  private record Running(long sinceSeq, long startedNanos) {}

  /**
   * A delayed add. Compared by identity: cancelling a timer can race with it firing, so a timer
   * only acts if its own entry is still the key's current one.
   */
  private static final class Delayed {
    final long dueNanos;
    ScheduledFuture<?> timer;

    Delayed(long dueNanos) {
      this.dueNanos = dueNanos;
    }
  }

  private final String name;
  private final int workerCount;
  private final Reconciler reconciler;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final QueueMetrics metrics;

  // One lock guards everything below. Each operation is a few map updates, so a single lock is
  // cheaper and far easier to reason about than lock-free sets with cross-set invariants.
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition workAvailable = lock.newCondition();
  private final Condition settled = lock.newCondition();
  private final ExponentialBackoff backoff;
  private final TokenBucket bucket;

  /** Dirty keys that are not being processed, in FIFO order; always a subset of {@link #dirty}. */
  private final ArrayDeque<String> queue = new ArrayDeque<>();

  private final Map<String, Pending> dirty = new HashMap<>();
  private final Map<String, Running> processing = new HashMap<>();
  private final Map<String, Delayed> delayed = new HashMap<>();
  private final Map<String, String> lastErrors = new HashMap<>();

  /** The sequence numbers of every dirty and every running entry, for {@link #awaitProcessed}. */
  private final TreeSet<Long> outstanding = new TreeSet<>();

  private final List<Thread> workers = new ArrayList<>();
  private long addSeq;
  private State state = State.NEW;

  /**
   * Creates a queue whose workers are not yet running.
   *
   * @param name names the worker threads, log lines and the {@code name} tag of the metrics
   * @param workers how many keys may be reconciled at once
   * @param clock times queue latency, backoff and the retry bucket; tests pass a fake one
   * @param scheduler fires delayed adds and retries; not shut down by {@link #close()}
   * @param registry where to publish {@code weft.workqueue.*} metrics, or null for none
   */
  public WorkQueue(
      String name,
      int workers,
      Reconciler reconciler,
      Clock clock,
      ScheduledExecutorService scheduler,
      RateLimiterConfig rateLimits,
      MeterRegistry registry) {
    this(name, workers, reconciler, clock, scheduler, false, rateLimits, registry);
  }

  private WorkQueue(
      String name,
      int workers,
      Reconciler reconciler,
      Clock clock,
      ScheduledExecutorService scheduler,
      boolean ownsScheduler,
      RateLimiterConfig rateLimits,
      MeterRegistry registry) {
    this.name = Objects.requireNonNull(name, "name");
    if (workers < 1) {
      throw new IllegalArgumentException("work queue " + name + ": workers must be at least 1");
    }
    this.workerCount = workers;
    this.reconciler = Objects.requireNonNull(reconciler, "reconciler");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    this.ownsScheduler = ownsScheduler;
    Objects.requireNonNull(rateLimits, "rateLimits");
    this.backoff = new ExponentialBackoff(rateLimits.baseDelay(), rateLimits.maxDelay());
    this.bucket = new TokenBucket(rateLimits.qps(), rateLimits.burst(), now());
    // An empty composite registry hands out no-op meters, so "no metrics" needs no null checks.
    this.metrics =
        new QueueMetrics(registry != null ? registry : new CompositeMeterRegistry(), name, this);
  }

  /**
   * Creates a queue with production defaults: a monotonic clock, {@link
   * RateLimiterConfig#defaults()} and its own delay thread, shut down by {@link #close()}.
   *
   * @param registry where to publish metrics, or null for none
   */
  public static WorkQueue create(
      String name, int workers, Reconciler reconciler, MeterRegistry registry) {
    ScheduledThreadPoolExecutor delays =
        new ScheduledThreadPoolExecutor(
            1,
            task -> {
              Thread thread = new Thread(task, "weft-workqueue-" + name + "-delays");
              thread.setDaemon(true);
              return thread;
            });
    // Adds cancel pending delays all the time; without this, cancelled timers pile up until due.
    delays.setRemoveOnCancelPolicy(true);
    return new WorkQueue(
        name,
        workers,
        reconciler,
        new MonotonicClock(),
        delays,
        true,
        RateLimiterConfig.defaults(),
        registry);
  }

  /**
   * Starts the workers.
   *
   * @throws IllegalStateException if the queue was already started or closed
   */
  public void start() {
    lock.lock();
    try {
      if (state != State.NEW) {
        throw new IllegalStateException(
            "work queue " + name + ": cannot start, it is " + state.name().toLowerCase());
      }
      state = State.RUNNING;
      for (int i = 0; i < workerCount; i++) {
        Thread worker = new Thread(this::work, "weft-workqueue-" + name + "-" + i);
        // Daemon threads so that a queue someone forgot to close cannot keep the JVM alive.
        worker.setDaemon(true);
        workers.add(worker);
        worker.start();
      }
    } finally {
      lock.unlock();
    }
    log.info("work queue {}: started {} workers", name, workerCount);
  }

  /** Queues {@code key} to be reconciled now; a no-op if a run of it is already owed. */
  public void add(String key) {
    Objects.requireNonNull(key, "key");
    lock.lock();
    try {
      enqueueLocked(key);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Queues {@code key} to be reconciled after {@code delay}, unless a run of it is owed sooner (see
   * the class comment on merging).
   */
  public void addAfter(String key, Duration delay) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative() || delay.isZero()) {
      add(key);
      return;
    }
    lock.lock();
    try {
      if (state == State.CLOSED || dirty.containsKey(key)) {
        return;
      }
      long now = now();
      delayLocked(key, saturatedAdd(now, nanos(delay)), now);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Queues {@code key} after its per-key backoff, which this call grows, or later if the global
   * retry bucket is empty. The backoff resets when a reconcile of the key succeeds.
   */
  public void addRateLimited(String key) {
    Objects.requireNonNull(key, "key");
    lock.lock();
    try {
      if (state == State.CLOSED) {
        return;
      }
      long backoffNanos = backoff.next(key);
      metrics.retried();
      if (!dirty.containsKey(key)) {
        retryLocked(key, backoffNanos, now());
      }
    } finally {
      lock.unlock();
    }
  }

  /** Keys ready to run and waiting for a worker; excludes running and delayed keys. */
  public int depth() {
    lock.lock();
    try {
      return queue.size();
    } finally {
      lock.unlock();
    }
  }

  /** Keys whose most recent reconcile threw, with that error's message, sorted by key. */
  public Map<String, String> failingKeys() {
    lock.lock();
    try {
      return Collections.unmodifiableSortedMap(new TreeMap<>(lastErrors));
    } finally {
      lock.unlock();
    }
  }

  /**
   * A position in the stream of adds, for {@link #awaitProcessed}: covers every {@link #add} that
   * returned before this call, and every delayed add that had fired.
   */
  public long mark() {
    lock.lock();
    try {
      return addSeq;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until every add covered by {@code mark} has been processed: for each such add, a
   * reconcile of its key started after the add and has since finished, successfully or not.
   *
   * <p>A reconcile that threw counts as processed; its key shows in {@link AwaitResult#failing()}
   * and its retry is not waited for. Adds after the mark, and delayed adds that had not fired by
   * the mark, are not waited for. On a closed queue this returns at once, {@code reached} only if
   * nothing covered was dropped by the close.
   *
   * @return {@code reached} is false if {@code timeout} (real time) passed first; {@code pending}
   *     then lists the keys still owing a covered run
   */
  public AwaitResult awaitProcessed(long mark, Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    long remaining = nanos(timeout);
    lock.lockInterruptibly();
    try {
      while (true) {
        if (outstanding.isEmpty() || outstanding.first() > mark) {
          return resultLocked(true, Set.of());
        }
        if (state == State.CLOSED || remaining <= 0) {
          Set<String> pending = new HashSet<>();
          dirty.forEach((key, p) -> addIf(pending, key, p.sinceSeq() <= mark));
          processing.forEach((key, r) -> addIf(pending, key, r.sinceSeq() <= mark));
          return resultLocked(false, pending);
        }
        remaining = settled.awaitNanos(remaining);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until the queue is idle: no key is owed an immediate run, none is being reconciled, and
   * no delayed add of a key that is not failing falls due within {@code timeout} of now (as read
   * from the queue's clock).
   *
   * <p>Keys whose last reconcile threw do not hold the wait, even with a retry about to fire: they
   * are listed in {@link AwaitResult#failing()} instead, so a key that keeps failing cannot stall
   * the caller. (A retry that has already fired is a running key and is waited for.) Delayed adds
   * due after the window, such as a periodic {@link Result#requeueAfter}, do not hold it either. On
   * a closed queue this returns at once, {@code reached} only if the close dropped nothing and
   * nothing is still running.
   *
   * @return {@code reached} is false if {@code timeout} (real time) passed first; {@code pending}
   *     then lists the keys that held the wait
   */
  public AwaitResult awaitIdle(Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    long remaining = nanos(timeout);
    lock.lockInterruptibly();
    try {
      // The window is fixed at the call: a retry scheduled while waiting, due after the window,
      // must not hold the caller, and with a fake clock "now" only moves when the test moves it.
      long horizon = saturatedAdd(now(), remaining);
      while (true) {
        Set<String> holding = idleHoldersLocked(horizon);
        if (holding.isEmpty()) {
          return resultLocked(true, holding);
        }
        if (state == State.CLOSED || remaining <= 0) {
          return resultLocked(false, holding);
        }
        remaining = settled.awaitNanos(remaining);
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Stops the queue, waiting up to {@link #DEFAULT_CLOSE_GRACE} for in-flight reconciles; see
   * {@link #shutdown(Duration)}.
   */
  @Override
  public void close() {
    shutdown(DEFAULT_CLOSE_GRACE);
  }

  /**
   * Stops the queue: queued keys and pending delayed adds are dropped, later adds are ignored, and
   * reconciles in flight may finish (their failures are recorded but not retried). Idempotent.
   *
   * @param grace how long to wait for in-flight reconciles; workers still running after it are
   *     interrupted and not waited for
   * @return whether every worker had stopped within {@code grace}
   */
  public boolean shutdown(Duration grace) {
    Objects.requireNonNull(grace, "grace");
    List<Thread> threads;
    int dropped = 0;
    lock.lock();
    try {
      if (state != State.CLOSED) {
        state = State.CLOSED;
        // The maps are left as they are so that later awaits can report what was dropped.
        delayed.values().forEach(d -> d.timer.cancel(false));
        dropped = queue.size() + delayed.size();
        workAvailable.signalAll();
        settled.signalAll();
      }
      threads = List.copyOf(workers);
    } finally {
      lock.unlock();
    }
    if (dropped > 0) {
      log.info("work queue {}: closed, dropping {} queued or delayed keys", name, dropped);
    }
    // Real time, not the queue's clock: this bounds how long a caller blocks on real threads.
    long deadline = System.nanoTime() + nanos(grace);
    boolean stopped = true;
    for (Thread worker : threads) {
      // A reconciler that closes its own queue cannot wait for itself to return.
      if (worker == Thread.currentThread()) {
        continue;
      }
      try {
        TimeUnit.NANOSECONDS.timedJoin(worker, Math.max(1, deadline - System.nanoTime()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        deadline = System.nanoTime();
      }
      stopped &= !worker.isAlive();
    }
    if (!stopped) {
      log.warn("work queue {}: reconciles still running after {}, interrupting them", name, grace);
      threads.stream().filter(Thread::isAlive).forEach(Thread::interrupt);
    }
    metrics.close();
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
    return stopped;
  }

  @Override
  public String toString() {
    return "WorkQueue[" + name + "]";
  }

  int inFlight() {
    lock.lock();
    try {
      return processing.size();
    } finally {
      lock.unlock();
    }
  }

  int failingCount() {
    lock.lock();
    try {
      return lastErrors.size();
    } finally {
      lock.unlock();
    }
  }

  double longestRunningSeconds() {
    lock.lock();
    try {
      long now = now();
      long longest = 0;
      for (Running run : processing.values()) {
        longest = Math.max(longest, now - run.startedNanos());
      }
      return longest / 1e9;
    } finally {
      lock.unlock();
    }
  }

  private void work() {
    while (true) {
      String key;
      Running run;
      lock.lock();
      try {
        while (state != State.CLOSED && queue.isEmpty()) {
          try {
            workAvailable.await();
          } catch (InterruptedException e) {
            // close() sets CLOSED before it interrupts anyone, so the loop condition decides;
            // an interrupt a reconciler left behind must not stop the worker.
          }
        }
        if (state == State.CLOSED) {
          return;
        }
        key = queue.pollFirst();
        Pending pending = dirty.remove(key);
        long now = now();
        // The run covers every add up to now: adds from here on find the key processing, mark it
        // dirty again, and get a run of their own after this one (see finish).
        run = new Running(pending.sinceSeq(), now);
        processing.put(key, run);
        metrics.started(now - pending.readyNanos());
      } finally {
        lock.unlock();
      }

      Result result = null;
      Throwable failure = null;
      try {
        result = reconciler.reconcile(key);
        if (result == null) {
          failure = new IllegalStateException("reconciler returned null instead of a Result");
        }
      } catch (Exception | Error e) {
        failure = e;
      }
      finish(key, run, result, failure);
      // Bookkeeping first, so that the key is released even if the JVM is in trouble; then let
      // the worker die rather than carry on after an OutOfMemoryError or the like.
      if (failure instanceof VirtualMachineError fatal) {
        throw fatal;
      }
    }
  }

  private void finish(String key, Running run, Result result, Throwable failure) {
    String message = failure == null ? null : describe(failure);
    boolean firstFailure = false;
    int failures = 0;
    long retryIn = -1;
    boolean rerun;
    boolean open;
    lock.lock();
    try {
      long now = now();
      processing.remove(key);
      outstanding.remove(run.sinceSeq());
      metrics.finished(now - run.startedNanos());
      open = state != State.CLOSED;
      // Added while running: the add could not start a second run then, so it is owed one now.
      // The same add also supersedes any retry or requeue this run asks for (class comment).
      rerun = open && dirty.containsKey(key);
      if (failure != null) {
        firstFailure = lastErrors.put(key, message) == null;
        if (open) {
          long backoffNanos = backoff.next(key);
          failures = backoff.failures(key);
          metrics.retried();
          if (!rerun) {
            retryIn = retryLocked(key, backoffNanos, now);
          }
        }
      } else {
        backoff.forget(key);
        lastErrors.remove(key);
        Duration after = result.requeueAfter();
        if (open && !rerun && after != null) {
          if (after.isZero()) {
            enqueueLocked(key);
          } else {
            delayLocked(key, saturatedAdd(now, nanos(after)), now);
          }
        }
      }
      if (rerun) {
        queue.addLast(key);
        workAvailable.signal();
      }
      settled.signalAll();
    } finally {
      lock.unlock();
    }
    if (failure != null) {
      String next =
          !open
              ? "not retried: the queue is closed"
              : rerun
                  ? "re-running now: it was added again meanwhile"
                  : "retrying in " + Duration.ofNanos(Math.max(0, retryIn));
      if (firstFailure) {
        log.warn("work queue {}: reconcile of key {} failed, {}", name, key, next, failure);
      } else {
        log.warn(
            "work queue {}: reconcile of key {} failed again ({} in a row), {}: {}",
            name,
            key,
            failures,
            next,
            message);
      }
    }
  }

  /** Makes {@code key} dirty now; the caller holds the lock. */
  private void enqueueLocked(String key) {
    if (state == State.CLOSED) {
      log.debug("work queue {}: closed, ignoring add of key {}", name, key);
      return;
    }
    long seq = ++addSeq;
    Delayed pendingDelay = delayed.remove(key);
    if (pendingDelay != null) {
      pendingDelay.timer.cancel(false);
    }
    if (dirty.containsKey(key)) {
      return;
    }
    dirty.put(key, new Pending(seq, now()));
    outstanding.add(seq);
    metrics.added();
    // A running key stays out of the FIFO: finish() puts it there when the run ends, which is
    // what keeps one key off two workers.
    if (!processing.containsKey(key)) {
      queue.addLast(key);
      workAvailable.signal();
    }
  }

  /**
   * Schedules a rate-limited retry of {@code key}; the caller holds the lock and has checked the
   * key is not dirty. Returns nanoseconds until the retry (or the earlier pending delayed add).
   */
  private long retryLocked(String key, long backoffNanos, long now) {
    Delayed existing = delayed.get(key);
    // Checked before taking a token: a retry that loses to an earlier delayed add would otherwise
    // burn bucket capacity that other keys' retries need.
    if (existing != null && existing.dueNanos <= saturatedAdd(now, backoffNanos)) {
      return existing.dueNanos - now;
    }
    long wait = Math.max(backoffNanos, bucket.reserve(now));
    return delayLocked(key, saturatedAdd(now, wait), now) - now;
  }

  /**
   * Owes {@code key} a run at {@code dueNanos} unless one is owed earlier; the caller holds the
   * lock and has checked the key is not dirty. Returns when the key's delayed run is now due.
   */
  private long delayLocked(String key, long dueNanos, long now) {
    Delayed existing = delayed.get(key);
    if (existing != null && existing.dueNanos <= dueNanos) {
      return existing.dueNanos;
    }
    Delayed next = new Delayed(dueNanos);
    try {
      next.timer =
          scheduler.schedule(
              () -> fire(key, next), Math.max(0, dueNanos - now), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      log.error(
          "work queue {}: its scheduler refused a delayed add of key {}; is it shut down?",
          name,
          key,
          e);
      return existing != null ? existing.dueNanos : dueNanos;
    }
    if (existing != null) {
      existing.timer.cancel(false);
    }
    delayed.put(key, next);
    return dueNanos;
  }

  private void fire(String key, Delayed entry) {
    lock.lock();
    try {
      if (state == State.CLOSED || delayed.get(key) != entry) {
        return;
      }
      delayed.remove(key);
      enqueueLocked(key);
    } finally {
      lock.unlock();
    }
  }

  private Set<String> idleHoldersLocked(long horizon) {
    Set<String> holding = new HashSet<>(dirty.keySet());
    holding.addAll(processing.keySet());
    delayed.forEach(
        (key, d) -> addIf(holding, key, d.dueNanos <= horizon && !lastErrors.containsKey(key)));
    return holding;
  }

  private AwaitResult resultLocked(boolean reached, Set<String> pending) {
    return new AwaitResult(reached, pending, lastErrors);
  }

  private long now() {
    Instant instant = clock.instant();
    return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
  }

  private static void addIf(Set<String> set, String key, boolean condition) {
    if (condition) {
      set.add(key);
    }
  }

  private static String describe(Throwable failure) {
    String message = failure.getMessage();
    return message == null || message.isBlank() ? failure.toString() : message;
  }

  /** The duration in nanoseconds, clamped to [0, Long.MAX_VALUE]: the far future is "never". */
  private static long nanos(Duration duration) {
    if (duration.isNegative()) {
      return 0;
    }
    try {
      return duration.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE;
    }
  }

  private static long saturatedAdd(long a, long nonNegative) {
    long sum = a + nonNegative;
    return sum < a ? Long.MAX_VALUE : sum;
  }
}
