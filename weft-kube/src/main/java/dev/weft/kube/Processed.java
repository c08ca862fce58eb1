package dev.weft.kube;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What {@link KubeManager#awaitProcessed} found: whether every change made in Kubernetes before the
 * call had been processed into the config store, at which store revision, and otherwise what held
 * it.
 *
 * @param reached whether every change made before the call was processed before the timeout
 * @param storeRevision when {@code reached}, a config store revision whose state includes the
 *     effect of every change the call covered: a reader (the compiler, a probe) waits until its own
 *     view of the store has reached it. When not reached, the revision at return, which proves
 *     nothing
 * @param reason why it gave up, for a person; empty when {@code reached}
 * @param informersBehind by informer kind ({@code Pod}, ...), the objects whose events its handler
 *     had not yet delivered to the work queue when it gave up
 * @param pendingKeys work-queue keys still owed a run when it gave up
 * @param failingKeys keys whose last reconcile threw or whose input is bad, with the error, at
 *     return; they count as processed (with that outcome) and do not hold the barrier
 */
public record Processed(
    boolean reached,
    long storeRevision,
    String reason,
    Map<String, String> informersBehind,
    Set<String> pendingKeys,
    Map<String, String> failingKeys) {

  /** How many keys {@link #describe()} names before it says "...". */
  private static final int NAMED = 5;

  public Processed {
    // Sorted copies so that a failure message or a CLI line reads the same on every run.
    reason = reason == null ? "" : reason;
    informersBehind = Collections.unmodifiableSortedMap(new TreeMap<>(informersBehind));
    pendingKeys = Collections.unmodifiableSortedSet(new TreeSet<>(pendingKeys));
    failingKeys = Collections.unmodifiableSortedMap(new TreeMap<>(failingKeys));
  }

  /** One paragraph for a person: what was reached, or why not and what held it. */
  public String describe() {
    List<String> parts = new ArrayList<>();
    if (reached) {
      parts.add(
          "every Kubernetes change made before the call has been processed, up to store revision "
              + storeRevision);
    } else {
      parts.add("gave up waiting for Kubernetes changes to be processed: " + reason);
      informersBehind.forEach((kind, what) -> parts.add("informer " + what));
      if (!pendingKeys.isEmpty()) {
        parts.add(count(pendingKeys.size(), "key") + " still pending: " + named(pendingKeys));
      }
    }
    if (!failingKeys.isEmpty()) {
      List<String> failing = new ArrayList<>();
      failingKeys.forEach((key, error) -> failing.add(key + ": " + error));
      parts.add(count(failingKeys.size(), "key") + " failing: " + named(failing));
    }
    return String.join("; ", parts);
  }

  private static String named(Iterable<String> items) {
    List<String> out = new ArrayList<>();
    for (String item : items) {
      if (out.size() == NAMED) {
        out.add("...");
        break;
      }
      out.add(item);
    }
    return String.join(", ", out);
  }

  private static String count(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }
}
