package dev.weft.kube.leader;

import dev.weft.kube.KubeManager;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a {@link KubeManager} as one of several candidates for its cluster: its informers always (a
 * standby keeps warm caches and writes nothing), its workers only while it leads.
 *
 * <p>Taking over: the Lease is won, then the store fence is taken (and this process's object cache
 * shows every write of the previous leader), then a full resync starts the workers. Losing: the
 * fence is dropped at once (any commit still in flight fails), then the workers stop. Shutting down
 * stops the workers before releasing the Lease, so a standby takes over without waiting for the
 * lease to expire and never overlaps with this process's writes. A leader whose commit finds the
 * fence taken by another stops leading and tries again (see {@link
 * LeaderElector#relinquish(String)}).
 *
 * <p>Transitions run one at a time, in order, on a thread of their own. Thread-safe.
 */
public final class ActiveStandby implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ActiveStandby.class);

  /**
   * Leadership as this process sees it, for logs and {@code GET /status}.
   *
   * @param leader whether this process leads (holds the Lease and the fence)
   * @param holder who holds the Lease, as last seen (empty: nobody)
   * @param epoch the store fence's epoch as the store says now (one more per take-over)
   * @param since when this process started leading; null when it does not lead
   */
  public record Status(
      boolean leader,
      String identity,
      String holder,
      String lease,
      long epoch,
      String fenceHolder,
      Instant since) {}

  private final KubeManager manager;
  private final StoreFence fence;
  private final LeaderElector elector;
  private final Clock clock;
  private final ExecutorService transitions =
      Executors.newSingleThreadExecutor(
          task -> {
            Thread t = new Thread(task, "weft-leader-transitions");
            t.setDaemon(true);
            return t;
          });

  // Guarded by this.
  private long term;
  private Instant since;
  private boolean closed;

  private ActiveStandby(
      KubeManager manager,
      StoreFence fence,
      LeaseLock lock,
      LeaderElectionConfig config,
      Clock clock) {
    this.manager = manager;
    this.fence = fence;
    this.clock = clock;
    this.elector = LeaderElector.create(lock, config, clock, new Transitions());
    // A successor took over while this one still believed it led (it stalled, or lost the API
    // server); or, if it happens again and again, kube-managers of two clusters share one store.
    fence.onLost(
        () ->
            elector.relinquish(
                "another kube-manager has taken the store fence: "
                    + fence
                        .current()
                        .map(h -> h.identity() + " (epoch " + h.epoch() + ")")
                        .orElse("nobody")));
  }

  /**
   * Starts competing for the Lease {@code config.namespace()/config.name()} on the cluster {@code
   * client} talks to. The manager's informers must be started ({@link
   * KubeManager#startInformers()}) and its commits guarded by {@code fence}.
   */
  public static ActiveStandby start(
      KubernetesClient client,
      KubeManager manager,
      StoreFence fence,
      LeaderElectionConfig config,
      Clock clock) {
    ActiveStandby a =
        new ActiveStandby(
            manager,
            fence,
            new KubernetesLeaseLock(client, config.namespace(), config.name()),
            config,
            clock);
    a.elector.start();
    return a;
  }

  /** Waits until this process leads (its workers run); false when it does not within timeout. */
  public synchronized boolean awaitLeading(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (since == null) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    return true;
  }

  LeaderElector elector() {
    return elector;
  }

  public Status status() {
    var current = fence.current();
    Instant leadingSince;
    synchronized (this) {
      leadingSince = since;
    }
    return new Status(
        leadingSince != null && elector.isLeader() && fence.held(),
        elector.identity(),
        elector.holder(),
        elector.describe(),
        current.map(StoreFence.Holder::epoch).orElse(0L),
        current.map(StoreFence.Holder::identity).orElse(""),
        leadingSince);
  }

  private synchronized long nextTerm() {
    since = null;
    return ++term;
  }

  private synchronized boolean current(long t) {
    return term == t;
  }

  private void takeOver(long t) {
    if (!current(t)) {
      return;
    }
    long epoch;
    try {
      epoch = fence.acquire(elector.identity());
    } catch (RuntimeException e) {
      log.error("cannot take the store fence; not leading: {}", e.toString());
      elector.relinquish("cannot take the store fence: " + e);
      return;
    }
    if (!current(t)) {
      fence.release();
      return;
    }
    try {
      manager.lead();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    } catch (RuntimeException e) {
      log.error("cannot start the kube-manager's workers", e);
      fence.release();
      elector.relinquish("cannot start the workers: " + e);
      return;
    }
    synchronized (this) {
      if (term == t) {
        since = clock.instant();
        notifyAll();
      }
    }
    log.info("kube-manager {} leads (store fence epoch {})", elector.identity(), epoch);
  }

  /** The elector's reports, turned into ordered transitions. */
  private final class Transitions implements LeaderElector.Listener {
    @Override
    public void startedLeading() {
      long t = nextTerm();
      transitions.execute(() -> takeOver(t));
    }

    @Override
    public void stoppedLeading(String reason) {
      nextTerm();
      // At once, on the elector's thread: from here no commit of this process passes the fence.
      fence.release();
      transitions.execute(manager::standBy);
    }
  }

  /** Stops the workers, then releases the Lease (a standby takes over at its next try). */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    elector.stop();
    transitions.shutdown();
    try {
      if (!transitions.awaitTermination(30, TimeUnit.SECONDS)) {
        log.warn("leadership transitions still running after 30 s; releasing the lease anyway");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    elector.close();
  }
}
