package dev.weft.kube.queue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reconciler for tests: counts runs per key, notices one key running twice at once, can hold a
 * key's next run at a {@link Gate}, and does whatever {@link #behave} says.
 */
final class RecordingReconciler implements Reconciler {

  /** What a run does once past its gate; {@code run} counts from 1 per key. */
  @FunctionalInterface
  interface Behaviour {
    Result apply(String key, int run) throws Exception;
  }

  private final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<String> order = new ConcurrentLinkedQueue<>();
  private final Map<String, Gate> gates = new ConcurrentHashMap<>();
  private final Set<Gate> allGates = ConcurrentHashMap.newKeySet();
  private final Set<String> running = ConcurrentHashMap.newKeySet();
  private final Set<String> overlapped = ConcurrentHashMap.newKeySet();
  private final AtomicInteger active = new AtomicInteger();
  private final AtomicInteger maxActive = new AtomicInteger();
  private volatile Behaviour behaviour = (key, run) -> Result.done();

  @Override
  public Result reconcile(String key) throws Exception {
    int run = runs.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    order.add(key);
    if (!running.add(key)) {
      overlapped.add(key);
    }
    maxActive.accumulateAndGet(active.incrementAndGet(), Math::max);
    try {
      Gate gate = gates.remove(key);
      if (gate != null) {
        gate.pass();
      }
      return behaviour.apply(key, run);
    } finally {
      active.decrementAndGet();
      running.remove(key);
    }
  }

  RecordingReconciler behave(Behaviour behaviour) {
    this.behaviour = behaviour;
    return this;
  }

  /** Holds the next run of {@code key} at a new gate until the test opens it. */
  Gate hold(String key) {
    Gate gate = new Gate();
    allGates.add(gate);
    gates.put(key, gate);
    return gate;
  }

  void openAll() {
    allGates.forEach(Gate::open);
  }

  int runs(String key) {
    AtomicInteger count = runs.get(key);
    return count == null ? 0 : count.get();
  }

  int totalRuns() {
    return order.size();
  }

  List<String> order() {
    return List.copyOf(order);
  }

  int active() {
    return active.get();
  }

  int maxActive() {
    return maxActive.get();
  }

  Set<String> overlapped() {
    return Set.copyOf(overlapped);
  }

  /** A one-shot barrier a run waits at until the test opens it. */
  static final class Gate {
    private final CountDownLatch entered = new CountDownLatch(1);
    private final CountDownLatch opened = new CountDownLatch(1);

    void pass() throws InterruptedException {
      entered.countDown();
      if (!opened.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("test bug: a gate was never opened");
      }
    }

    void awaitEntered() throws InterruptedException {
      if (!entered.await(20, TimeUnit.SECONDS)) {
        throw new AssertionError("the held run never reached its gate");
      }
    }

    boolean entered() {
      return entered.getCount() == 0;
    }

    void open() {
      opened.countDown();
    }
  }

  static Result fail(String message) throws Exception {
    throw new Exception(message);
  }

  static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }
}
