package dev.weft.kube.reconcile;

import dev.weft.kube.translate.InputException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bad input per key: logged, recorded as a Kubernetes Warning Event on the object (once per
 * distinct message, not on every retry), remembered for status pages, and registered as waiting on
 * what would fix it.
 */
public final class Problems {
  private static final Logger log = LoggerFactory.getLogger(Problems.class);
  private final KubeWriter writer;
  private final Waiters waiters;
  private final Map<String, String> current = new ConcurrentHashMap<>();

  public Problems(KubeWriter writer, Waiters waiters) {
    this.writer = writer;
    this.waiters = waiters;
  }

  /**
   * @param generation {@link Waiters#generation()} read before the reconcile looked at the store
   */
  void report(
      String key,
      String kind,
      String namespace,
      String name,
      String uid,
      long generation,
      InputException e) {
    waiters.await(e.waitingOn(), key, generation);
    if (e.transientWait()) {
      log.debug("{}: waiting: {}", key, e.getMessage());
      return;
    }
    String previous = current.put(key, e.reason() + ": " + e.getMessage());
    if (!(e.reason() + ": " + e.getMessage()).equals(previous)) {
      log.warn("{}: {}: {}", key, e.reason(), e.getMessage());
      writer.event(kind, namespace, name, uid, "Warning", e.reason(), e.getMessage());
    }
  }

  /** The key's input is fine again. */
  void clear(String key) {
    current.remove(key);
  }

  /** Current problems by key, for status pages. */
  public Map<String, String> snapshot() {
    return Map.copyOf(current);
  }
}
