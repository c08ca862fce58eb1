package dev.weft.kube.reconcile;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Keys waiting for something to change in the store (a network to appear, an address to be freed),
 * so they are retried when it does rather than on a timer.
 *
 * <p>A reconcile reads {@link #generation()} before it looks at the store and passes it to {@link
 * #await}. If anything was woken in between, the key is re-queued at once: otherwise a network
 * created after the reconcile found it missing, but before the key was registered, would wake
 * nobody and the key would wait forever.
 */
public final class Waiters {
  private final Map<String, Set<String>> byCause = new ConcurrentHashMap<>();
  private final AtomicLong generation = new AtomicLong();
  private final Consumer<String> enqueue;

  public Waiters(Consumer<String> enqueue) {
    this.enqueue = enqueue;
  }

  /** The wake count, to pass to {@link #await}. */
  public long generation() {
    return generation.get();
  }

  /** Registers {@code key} as waiting on {@code cause}, as seen at {@code seenGeneration}. */
  public void await(String cause, String key, long seenGeneration) {
    if (cause.isEmpty()) {
      return;
    }
    byCause.computeIfAbsent(cause, c -> ConcurrentHashMap.newKeySet()).add(key);
    if (generation.get() != seenGeneration) {
      enqueue.accept(key);
    }
  }

  /** Re-queues every key waiting on {@code cause}. */
  public void wake(String cause) {
    generation.incrementAndGet();
    Set<String> keys = byCause.remove(cause);
    if (keys != null) {
      keys.forEach(enqueue);
    }
  }

  /** Number of keys waiting, for status. */
  public int size() {
    return byCause.values().stream().mapToInt(Set::size).sum();
  }

  /** Causes and their waiting keys, for status pages. */
  public Map<String, Set<String>> snapshot() {
    Map<String, Set<String>> out = new java.util.TreeMap<>();
    byCause.forEach((k, v) -> out.put(k, Set.copyOf(v)));
    return out;
  }
}
