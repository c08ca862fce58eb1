package dev.weft.kube.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.dsl.FilterWatchListDeletable;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Tells when the event handlers of every registered informer have caught up with the Kubernetes API
 * as it was when the wait began: each handler has returned from an event for every object at its
 * version then (or later), and from the deletion of every object gone by then. Handlers only queue
 * keys, so once this holds, every change made before the wait is in the work queue.
 *
 * <p>An informer joins by being created through {@link #register}; Services, EndpointSlices and
 * NetworkPolicies need nothing more. Waits list each kind from the API once (a consistent read,
 * O(objects)) and are then woken by the handlers, re-checking only what was outstanding.
 *
 * <p>Thread-safe. Register every informer before starting it and before the first wait.
 */
public final class InformerBarrier {
  private record Registration(
      HandledVersions versions,
      Supplier<? extends KubernetesResourceList<? extends HasMetadata>> lister) {}

  private final List<Registration> registrations = new CopyOnWriteArrayList<>();
  private final Executor listers;

  // Handlers bump the generation on every event; waits read it before checking and sleep only
  // while it is unchanged, so an event between a check and the sleep cannot be missed.
  private final AtomicLong generation = new AtomicLong();
  private final AtomicInteger sleepers = new AtomicInteger();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();

  /** A barrier that lists from the API on its own threads (daemons, gone when idle a minute). */
  public InformerBarrier() {
    this(
        Executors.newCachedThreadPool(
            task -> {
              Thread thread = new Thread(task, "weft-informer-barrier-list");
              thread.setDaemon(true);
              return thread;
            }));
  }

  /**
   * @param listers runs the lists from the API, so a wait can give up at its deadline while the
   *     client is still retrying a list (fabric8 retries a refused connection for a minute or so)
   */
  public InformerBarrier(Executor listers) {
    this.listers = Objects.requireNonNull(listers, "listers");
  }

  /**
   * Creates a (not yet started) informer over {@code source} whose events go to {@code handler},
   * and makes it part of the barrier.
   *
   * @param kind names the informer in what {@link #awaitCaughtUp} reports, such as {@code Pod}
   * @param source what to inform on and list, with the same namespace and selectors
   * @param handler must be quick and only queue work: the barrier counts an event once the handler
   *     has returned from it
   */
  public <T extends HasMetadata> SharedIndexInformer<T> register(
      String kind,
      FilterWatchListDeletable<T, ? extends KubernetesResourceList<T>, ?> source,
      ResourceEventHandler<T> handler) {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(handler, "handler");
    HandledVersions versions = new HandledVersions(kind, this::bump);
    SharedIndexInformer<T> informer = source.runnableInformer(0);
    informer.addEventHandler(versions.wrap(handler));
    registrations.add(new Registration(versions, source::list));
    return informer;
  }

  /**
   * Waits until every registered informer's handler has caught up with the API as it is now (see
   * the class comment). Lists every kind at once, and gives up, not caught up, if a list fails or
   * has not finished by the deadline.
   *
   * @return empty when caught up; otherwise, by kind, what held each informer that had not caught
   *     up when {@code timeout} passed (or why it could not be listed)
   */
  public Map<String, String> awaitCaughtUp(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + nanos(timeout);
    List<Registration> kinds = List.copyOf(registrations);
    List<HandledVersions.Catchup> catchups = new ArrayList<>();
    try {
      for (Registration r : kinds) {
        catchups.add(r.versions().begin());
      }
      List<CompletableFuture<KubernetesResourceList<? extends HasMetadata>>> lists =
          new ArrayList<>();
      for (Registration r : kinds) {
        lists.add(
            CompletableFuture.<KubernetesResourceList<? extends HasMetadata>>supplyAsync(
                () -> r.lister().get(), listers));
      }
      Map<String, String> failed = new TreeMap<>();
      for (int i = 0; i < catchups.size(); i++) {
        String kind = kinds.get(i).versions().kind();
        KubernetesResourceList<? extends HasMetadata> list;
        try {
          list = lists.get(i).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
          failed.put(kind, "the list from the Kubernetes API did not finish within " + timeout);
          continue;
        } catch (ExecutionException e) {
          failed.put(kind, "cannot list from the Kubernetes API: " + e.getCause().getMessage());
          continue;
        }
        Map<String, String> listed = new HashMap<>();
        for (HasMetadata item : list.getItems()) {
          listed.put(HandledVersions.key(item), item.getMetadata().getResourceVersion());
        }
        String version =
            list.getMetadata() == null ? null : list.getMetadata().getResourceVersion();
        catchups.get(i).against(version, listed);
      }
      if (!failed.isEmpty()) {
        return Collections.unmodifiableMap(failed);
      }
      List<HandledVersions.Catchup> lagging = new ArrayList<>(catchups);
      while (true) {
        long seen = generation.get();
        lagging.removeIf(HandledVersions.Catchup::caughtUp);
        if (lagging.isEmpty()) {
          return Map.of();
        }
        if (!awaitBump(seen, deadline)) {
          Map<String, String> behind = new TreeMap<>();
          for (HandledVersions.Catchup c : lagging) {
            behind.put(c.kind(), c.describe());
          }
          return Collections.unmodifiableMap(behind);
        }
      }
    } finally {
      catchups.forEach(HandledVersions.Catchup::close);
    }
  }

  private void bump() {
    generation.incrementAndGet();
    // Most events happen with nobody waiting; only then is the lock worth taking.
    if (sleepers.get() > 0) {
      lock.lock();
      try {
        changed.signalAll();
      } finally {
        lock.unlock();
      }
    }
  }

  /** Waits until the generation moves past {@code seen}; false if the deadline came first. */
  private boolean awaitBump(long seen, long deadline) throws InterruptedException {
    lock.lockInterruptibly();
    // Counted before the generation is re-read under the lock: a bump after that read sees the
    // sleeper and signals, and cannot signal before the await releases the lock.
    sleepers.incrementAndGet();
    try {
      while (generation.get() == seen) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        changed.awaitNanos(left);
      }
      return true;
    } finally {
      sleepers.decrementAndGet();
      lock.unlock();
    }
  }

  private static long nanos(Duration duration) {
    if (duration.isNegative()) {
      return 0;
    }
    try {
      return duration.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 2;
    }
  }
}
