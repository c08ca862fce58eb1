package dev.weft.kube.leader;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Leader election on a {@link LeaseLock}, as Kubernetes controllers do it: every {@code
 * retryPeriod} each candidate reads the record; the holder renews it; another candidate takes it
 * over once it has seen the record unchanged for the holder's lease duration (measured on its own
 * monotonic clock from when it first saw that version, so clocks need not agree); every write is a
 * compare-and-set on the version read. A leader that has not renewed for {@code renewDeadline}
 * (shorter than the lease) stops leading, before anyone may take over; a separate timer checks
 * that, so a renewal stuck on a slow API server cannot hold it up.
 *
 * <p>The {@link Listener} is called on the elector's threads, in order, and must return quickly.
 * Thread-safe.
 */
public final class LeaderElector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LeaderElector.class);

  /** What the elector reports; implementations return quickly (hand long work to a thread). */
  public interface Listener {
    /** This candidate now holds the lease. */
    void startedLeading();

    /** This candidate no longer leads (lease lost, not renewed in time, or stopping). */
    void stoppedLeading(String reason);

    /** Another holder (or none: empty) was seen on the record. */
    default void leaderChanged(String holder) {}
  }

  private record Observed(LeaseRecord record, String version, long atNanos) {}

  private final LeaseLock lock;
  private final LeaderElectionConfig config;
  private final Clock clock;
  private final LongSupplier nanoTime;
  private final Listener listener;
  private final ScheduledExecutorService scheduler;

  // Guarded by this.
  private Observed observed;
  private String lastHolder;
  private long lastRenewNanos;
  private boolean stopped;
  private boolean stalled;
  private ScheduledFuture<?> ticks;
  private ScheduledFuture<?> deadline;

  private volatile boolean leading;

  /**
   * @param scheduler runs the renewals and the renew-deadline timer (two threads, so that a stuck
   *     renewal cannot hold up the timer); null to drive {@link #tick()} by hand in tests
   */
  LeaderElector(
      LeaseLock lock,
      LeaderElectionConfig config,
      Clock clock,
      LongSupplier nanoTime,
      ScheduledExecutorService scheduler,
      Listener listener) {
    this.lock = lock;
    this.config = config;
    this.clock = clock;
    this.nanoTime = nanoTime;
    this.scheduler = scheduler;
    this.listener = listener;
  }

  /** An elector with its own two daemon threads, on the system's monotonic clock. */
  static LeaderElector create(
      LeaseLock lock, LeaderElectionConfig config, Clock clock, Listener listener) {
    ScheduledThreadPoolExecutor threads =
        new ScheduledThreadPoolExecutor(
            2,
            task -> {
              Thread t = new Thread(task, "weft-leader-election");
              t.setDaemon(true);
              return t;
            });
    threads.setRemoveOnCancelPolicy(true);
    return new LeaderElector(lock, config, clock, System::nanoTime, threads, listener);
  }

  /** Starts trying to acquire the lease now, and every retry period from then on. */
  public synchronized void start() {
    if (stopped || ticks != null) {
      throw new IllegalStateException("leader election already started or stopped");
    }
    ticks =
        scheduler.scheduleWithFixedDelay(
            this::tickQuietly, 0, config.retryPeriod().toNanos(), TimeUnit.NANOSECONDS);
    log.info(
        "leader election on {} as {} (lease {} s, renew deadline {} ms, retry {} ms)",
        lock.describe(),
        config.identity(),
        config.leaseDuration().toSeconds(),
        config.renewDeadline().toMillis(),
        config.retryPeriod().toMillis());
  }

  public boolean isLeader() {
    return leading;
  }

  public String identity() {
    return config.identity();
  }

  /** The holder last seen on the record; empty when none was seen or it was released. */
  public synchronized String holder() {
    return observed == null ? "" : observed.record().holder();
  }

  public String describe() {
    return lock.describe();
  }

  private void tickQuietly() {
    try {
      tick();
    } catch (RuntimeException | Error e) {
      log.error("leader election on {}: unexpected failure", lock.describe(), e);
    }
  }

  /** One try: acquire or renew, then decide whether this candidate leads. */
  void tick() {
    synchronized (this) {
      if (stopped || stalled) {
        return;
      }
    }
    // Taken before the call: the renewal is then dated no later than the API server stored it,
    // which keeps this leader's own deadline on the safe side of what others see.
    long attempt = nanoTime.getAsLong();
    boolean renewed;
    String failure = null;
    try {
      renewed = tryAcquireOrRenew(attempt);
    } catch (RuntimeException e) {
      renewed = false;
      failure = e.toString();
    }
    synchronized (this) {
      if (stopped || stalled) {
        return;
      }
      if (renewed) {
        lastRenewNanos = attempt;
        if (!leading) {
          leading = true;
          log.info("{}: {} is now the leader", lock.describe(), config.identity());
          listener.startedLeading();
        }
        armDeadline();
      } else if (leading) {
        String holder = observed == null ? "" : observed.record().holder();
        if (!holder.equals(config.identity())) {
          stepDown("the lease is held by " + (holder.isEmpty() ? "nobody" : holder));
        } else if (nanoTime.getAsLong() - lastRenewNanos >= config.renewDeadline().toNanos()) {
          stepDown(
              "not renewed for "
                  + config.renewDeadline().toMillis()
                  + " ms"
                  + (failure == null ? "" : " (" + failure + ")"));
        } else if (failure != null) {
          log.warn("{}: renewal failed, will retry: {}", lock.describe(), failure);
        }
      } else if (failure != null) {
        log.debug("{}: could not read or take the lease: {}", lock.describe(), failure);
      }
    }
  }

  private boolean tryAcquireOrRenew(long now) {
    Instant wall = clock.instant();
    int seconds = (int) config.leaseDuration().toSeconds();
    Optional<LeaseLock.Versioned> current = lock.get();
    if (current.isEmpty()) {
      Optional<LeaseLock.Versioned> created =
          lock.create(new LeaseRecord(config.identity(), seconds, wall, wall, 0));
      created.ifPresent(v -> observe(v, now));
      return created.isPresent();
    }
    LeaseLock.Versioned v = current.get();
    Observed seen = observe(v, now);
    LeaseRecord r = v.record();
    boolean mine = r.holder().equals(config.identity());
    if (!mine && !r.holder().isEmpty() && now - seen.atNanos() < r.leaseDuration().toNanos()) {
      return false;
    }
    LeaseRecord next =
        mine
            ? new LeaseRecord(
                config.identity(),
                seconds,
                r.acquireTime() == null ? wall : r.acquireTime(),
                wall,
                r.transitions())
            : new LeaseRecord(config.identity(), seconds, wall, wall, r.transitions() + 1);
    Optional<LeaseLock.Versioned> updated = lock.update(next, v.version());
    updated.ifPresent(u -> observe(u, now));
    return updated.isPresent();
  }

  /** Records a version of the record, dated when this candidate first saw it. */
  private synchronized Observed observe(LeaseLock.Versioned v, long now) {
    if (observed == null || !observed.version().equals(v.version())) {
      observed = new Observed(v.record(), v.version(), now);
    }
    String holder = v.record().holder();
    if (!holder.equals(lastHolder)) {
      lastHolder = holder;
      if (!holder.equals(config.identity())) {
        log.info(
            "{}: leader is {}", lock.describe(), holder.isEmpty() ? "nobody (released)" : holder);
      }
      listener.leaderChanged(holder);
    }
    return observed;
  }

  private void armDeadline() {
    if (scheduler == null) {
      return;
    }
    if (deadline != null) {
      deadline.cancel(false);
    }
    long due = lastRenewNanos + config.renewDeadline().toNanos() - nanoTime.getAsLong();
    deadline = scheduler.schedule(this::checkDeadline, Math.max(0, due), TimeUnit.NANOSECONDS);
  }

  /** The renew deadline passed while a renewal may still be stuck: stop leading now. */
  synchronized void checkDeadline() {
    if (leading
        && !stopped
        && !stalled
        && nanoTime.getAsLong() - lastRenewNanos >= config.renewDeadline().toNanos()) {
      stepDown("not renewed for " + config.renewDeadline().toMillis() + " ms");
    }
  }

  /**
   * Stops leading now, though the lease may still name this candidate: for a leader that found it
   * cannot write (its store fence was taken). The next try renews or re-acquires the lease as
   * usual, and leads again if it still may.
   */
  public synchronized void relinquish(String reason) {
    if (leading && !stopped) {
      stepDown(reason);
    }
  }

  private void stepDown(String reason) {
    leading = false;
    if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
    if (stopped) {
      log.info("{}: {} stops leading: {}", lock.describe(), config.identity(), reason);
    } else {
      log.warn("{}: {} stops leading: {}", lock.describe(), config.identity(), reason);
    }
    listener.stoppedLeading(reason);
  }

  /**
   * For tests: renewals and the deadline timer stop, but this candidate still believes it leads, as
   * a leader whose election threads stall (or whose clock runs slow) while its workers go on would.
   */
  synchronized void stall() {
    stalled = true;
    if (ticks != null) {
      ticks.cancel(false);
    }
    if (deadline != null) {
      deadline.cancel(false);
    }
  }

  /** Stops trying; a leader stops leading (the listener hears it) but keeps the lease. */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    if (ticks != null) {
      ticks.cancel(false);
    }
    if (leading) {
      stepDown("stopping");
    }
  }

  /**
   * Gives the lease up, if this candidate holds it, so a standby takes over at its next try instead
   * of after the lease expires. Call after {@link #stop()} and once this process writes no more.
   */
  public void release() {
    try {
      Optional<LeaseLock.Versioned> current = lock.get();
      if (current.isEmpty() || !current.get().record().holder().equals(config.identity())) {
        return;
      }
      LeaseRecord r = current.get().record();
      Instant wall = clock.instant();
      if (lock.update(
              new LeaseRecord("", 1, r.acquireTime(), wall, r.transitions()),
              current.get().version())
          .isPresent()) {
        log.info("{}: released by {}", lock.describe(), config.identity());
      }
    } catch (RuntimeException e) {
      log.warn("{}: could not release the lease: {}", lock.describe(), e.toString());
    }
  }

  /** {@link #stop()}, {@link #release()}, and the threads. */
  @Override
  public void close() {
    stop();
    release();
    if (scheduler != null) {
      scheduler.shutdownNow();
    }
  }

  /** For tests and status: how long ago this leader last renewed, or null when not leading. */
  synchronized Duration sinceRenewal() {
    return leading ? Duration.ofNanos(nanoTime.getAsLong() - lastRenewNanos) : null;
  }
}
