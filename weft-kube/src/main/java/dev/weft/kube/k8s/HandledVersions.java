package dev.weft.kube.k8s;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * For one informer, the resourceVersion at which its event handler last saw each object, recorded
 * only once the handler has returned, to tell when the handler has caught up with a list from the
 * API server.
 *
 * <p>It tracks the handler rather than the informer's store because fabric8 updates the store first
 * and runs handlers later on another thread: an object can be in the store while the key its
 * handler would queue is not yet in the work queue.
 *
 * <p>Thread-safe: handlers of one informer run one at a time, catch-ups may run on any thread.
 */
final class HandledVersions {
  /** How many keys a description names before it says "..." instead. */
  private static final int NAMED = 3;

  /** A deletion the handler saw while a catch-up was open: the object's last known version. */
  private record Deletion(String version) {}

  private final String kind;
  private final Runnable onChange;
  private final Map<String, String> seen = new ConcurrentHashMap<>();
  private final List<Catchup> open = new CopyOnWriteArrayList<>();

  /**
   * @param onChange run after every recorded handler call, to wake waiting catch-ups
   */
  HandledVersions(String kind, Runnable onChange) {
    this.kind = kind;
    this.onChange = onChange;
  }

  String kind() {
    return kind;
  }

  /**
   * The key the informer's store files an object under: {@code namespace/name}, or {@code name}.
   */
  static String key(HasMetadata object) {
    String namespace = object.getMetadata().getNamespace();
    String name = object.getMetadata().getName();
    return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
  }

  /** Wraps {@code handler} so that each of its calls is recorded once it has returned. */
  <T extends HasMetadata> ResourceEventHandler<T> wrap(ResourceEventHandler<T> handler) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T object) {
        try {
          handler.onAdd(object);
        } finally {
          // Even if the handler threw (fabric8 logs it): a barrier that waits for a handler that
          // will never run again would only ever time out.
          handled(key(object), object.getMetadata().getResourceVersion());
        }
      }

      @Override
      public void onUpdate(T before, T after) {
        try {
          handler.onUpdate(before, after);
        } finally {
          handled(key(after), after.getMetadata().getResourceVersion());
        }
      }

      @Override
      public void onDelete(T object, boolean finalStateUnknown) {
        try {
          handler.onDelete(object, finalStateUnknown);
        } finally {
          deleted(key(object), object.getMetadata().getResourceVersion());
        }
      }

      @Override
      public void onNothing() {
        handler.onNothing();
      }

      @Override
      public void onBeforeList(String resourceVersion) {
        handler.onBeforeList(resourceVersion);
      }

      @Override
      public void onList(String resourceVersion, boolean initialList) {
        handler.onList(resourceVersion, initialList);
      }
    };
  }

  /** The handler has returned from an add or update of {@code key} at {@code version}. */
  void handled(String key, String version) {
    seen.put(key, version == null ? "" : version);
    onChange.run();
  }

  /**
   * The handler has returned from a deletion of {@code key}, whose last version the informer knew
   * is {@code version}. After a relist ("final state unknown") that may be older than the version
   * at which the object was deleted; a catch-up that listed a newer version then waits in vain and
   * says so, which is rare and better than passing for caught up when it might not be.
   */
  void deleted(String key, String version) {
    Deletion deletion = new Deletion(version == null ? "" : version);
    for (Catchup c : open) {
      c.deletions.put(key, deletion);
    }
    seen.remove(key);
    onChange.run();
  }

  /**
   * Starts a catch-up. Call it before listing from the API, so that a deletion handled between the
   * list and the check still counts; close it when done.
   */
  Catchup begin() {
    Catchup c = new Catchup();
    open.add(c);
    return c;
  }

  /**
   * One wait for the handler to catch up with one list. Not thread-safe: one caller uses it, while
   * handlers record deletions into it.
   */
  final class Catchup implements AutoCloseable {
    private final Map<String, Deletion> deletions = new ConcurrentHashMap<>();

    /** Listed objects the handler has not yet seen at their listed version (or deleted). */
    private final Map<String, String> unseen = new HashMap<>();

    /** Objects the handler saw that the list lacks and that are not newer than the list. */
    private final Set<String> undeleted = new HashSet<>();

    private String listVersion;
    private boolean compared;

    String kind() {
      return kind;
    }

    /**
     * Compares the handler's view with a list: O(listed + seen objects), once. Later checks look
     * only at what was outstanding here.
     *
     * @param listVersion the list's {@code metadata.resourceVersion}, or null if it had none
     * @param listed each listed object's key and resourceVersion
     */
    void against(String listVersion, Map<String, String> listed) {
      this.listVersion = listVersion;
      this.compared = true;
      listed.forEach(
          (key, version) -> {
            if (!seenAtLeast(key, version)) {
              unseen.put(key, version);
            }
          });
      for (String key : seen.keySet()) {
        if (!listed.containsKey(key) && !gone(key)) {
          undeleted.add(key);
        }
      }
    }

    /**
     * Whether the handler has caught up with the list: it has seen every listed object at its
     * listed version or later (or seen it deleted since the catch-up began), and every object it
     * saw that the list lacks is either deleted or newer than the list (created after it). Without
     * a numeric list version, such an extra object must be deleted.
     */
    boolean caughtUp() {
      if (!compared) {
        return false;
      }
      unseen.entrySet().removeIf(e -> seenAtLeast(e.getKey(), e.getValue()));
      undeleted.removeIf(this::gone);
      return unseen.isEmpty() && undeleted.isEmpty();
    }

    private boolean seenAtLeast(String key, String version) {
      if (ResourceVersions.atLeast(seen.get(key), version)) {
        return true;
      }
      Deletion d = deletions.get(key);
      return d != null && ResourceVersions.atLeast(d.version(), version);
    }

    private boolean gone(String key) {
      String version = seen.get(key);
      return version == null || ResourceVersions.newer(version, listVersion);
    }

    /** What holds this catch-up, for a person: a few keys with versions, and counts. */
    String describe() {
      if (!compared) {
        return kind + ": not compared with the API yet";
      }
      List<String> parts = new ArrayList<>();
      if (!unseen.isEmpty()) {
        Map<String, String> sorted = new TreeMap<>(unseen);
        List<String> named = new ArrayList<>();
        for (Map.Entry<String, String> e : sorted.entrySet()) {
          if (named.size() == NAMED) {
            named.add("...");
            break;
          }
          String at = seen.get(e.getKey());
          named.add(
              e.getKey()
                  + " (listed at "
                  + e.getValue()
                  + ", "
                  + (at == null ? "not handled" : "handled at " + at)
                  + ")");
        }
        parts.add(
            count(unseen.size(), "listed object")
                + " not yet handled at the listed version: "
                + String.join(", ", named));
      }
      if (!undeleted.isEmpty()) {
        List<String> named = new ArrayList<>();
        for (String key : new TreeSet<>(undeleted)) {
          if (named.size() == NAMED) {
            named.add("...");
            break;
          }
          named.add(key + " (handled at " + seen.get(key) + ")");
        }
        parts.add(
            count(undeleted.size(), "object")
                + " missing from the list at "
                + listVersion
                + " whose deletion is not yet handled: "
                + String.join(", ", named));
      }
      return kind + ": " + String.join("; ", parts);
    }

    @Override
    public void close() {
      open.remove(this);
    }
  }

  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
