package dev.weft.kube.reconcile;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Keys waiting for something to change in the store (a network to appear, an address to be freed),
 * so they are retried when it does rather than on a timer.
 */
public final class Waiters {
  private final Map<String, Set<String>> byCause = new ConcurrentHashMap<>();
  private final Consumer<String> enqueue;

  public Waiters(Consumer<String> enqueue) {
    this.enqueue = enqueue;
  }

  public void await(String cause, String key) {
    if (!cause.isEmpty()) {
      byCause.computeIfAbsent(cause, c -> ConcurrentHashMap.newKeySet()).add(key);
    }
  }

  /** Re-queues every key waiting on {@code cause}. */
  public void wake(String cause) {
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
