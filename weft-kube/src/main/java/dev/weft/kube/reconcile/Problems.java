package dev.weft.kube.reconcile;

import dev.weft.kube.translate.InputException;
import dev.weft.kube.translate.InputWarning;
import java.util.ArrayList;
import java.util.List;
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

  /** The current problems of each key, as {@code reason: message}; never an empty list. */
  private final Map<String, List<String>> current = new ConcurrentHashMap<>();

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
    record(key, kind, namespace, name, uid, List.of(new InputWarning(e.reason(), e.getMessage())));
  }

  /**
   * Records what a person should know about a key whose input took effect (an except outside its
   * cidr, a named port no pod declares): an Event for each warning not already current, and the
   * warnings as the key's problems until its next reconcile. No warnings clears the key.
   */
  void warn(
      String key,
      String kind,
      String namespace,
      String name,
      String uid,
      List<InputWarning> warnings) {
    if (warnings.isEmpty()) {
      clear(key);
    } else {
      record(key, kind, namespace, name, uid, warnings);
    }
  }

  private void record(
      String key,
      String kind,
      String namespace,
      String name,
      String uid,
      List<InputWarning> problems) {
    List<String> texts = new ArrayList<>();
    problems.forEach(p -> texts.add(p.reason() + ": " + p.message()));
    List<String> previous = current.put(key, List.copyOf(texts));
    for (InputWarning p : problems) {
      if (previous == null || !previous.contains(p.reason() + ": " + p.message())) {
        log.warn("{}: {}: {}", key, p.reason(), p.message());
        writer.event(kind, namespace, name, uid, "Warning", p.reason(), p.message());
      }
    }
  }

  /** The key's input is fine again. */
  void clear(String key) {
    current.remove(key);
  }

  /** Current problems by key, for status pages (several of one key joined by "; "). */
  public Map<String, String> snapshot() {
    Map<String, String> out = new java.util.HashMap<>();
    current.forEach((k, v) -> out.put(k, String.join("; ", v)));
    return Map.copyOf(out);
  }
}
