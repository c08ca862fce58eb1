package dev.weft.control.policy;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Groups indexed by the terms of their selectors, to find the few groups an object's label change
 * can move it into or out of. A group is filed under {@code key=value} for each value of each value
 * term, under {@code key} for each presence term, and among those that match an object without
 * labels when it has no positive term (see {@link Selector}).
 *
 * <p>The visits over-approximate (a group may be visited twice, or visited and still not change its
 * mind): callers de-duplicate and re-evaluate the whole selector. They never miss a group: a
 * selector's answer can only change through one of its terms changing, and a term over {@code key}
 * changes only when the key's value moves from or to one of the term's values (value terms) or the
 * key appears or disappears (presence terms).
 *
 * @param <G> the group type
 */
final class SelectorIndex<G> {
  private final Map<String, Map<String, Bucket<G>>> byValue = new HashMap<>();
  private final Map<String, Bucket<G>> byPresence = new HashMap<>();
  private final Bucket<G> matchingEmpty = new Bucket<>();

  void add(Selector s, G g) {
    if (s.matchesEmpty) {
      matchingEmpty.add(g);
    }
    for (int i = 0; i < s.equalKeys.length; i++) {
      fileValue(s.equalKeys[i], s.equalValues[i], g);
    }
    for (int j = 0; j < s.keys.length; j++) {
      if (s.valueTerm(j)) {
        for (String v : s.values[j]) {
          fileValue(s.keys[j], v, g);
        }
      } else {
        byPresence.computeIfAbsent(s.keys[j], k -> new Bucket<>()).add(g);
      }
    }
  }

  void remove(Selector s, G g) {
    if (s.matchesEmpty) {
      matchingEmpty.remove(g);
    }
    for (int i = 0; i < s.equalKeys.length; i++) {
      unfileValue(s.equalKeys[i], s.equalValues[i], g);
    }
    for (int j = 0; j < s.keys.length; j++) {
      if (s.valueTerm(j)) {
        for (String v : s.values[j]) {
          unfileValue(s.keys[j], v, g);
        }
      } else {
        Bucket<G> set = byPresence.get(s.keys[j]);
        if (set != null && set.remove(g) && set.isEmpty()) {
          byPresence.remove(s.keys[j]);
        }
      }
    }
  }

  /** Visits every group that may match a new object with {@code labels}. */
  void forNew(Map<String, String> labels, Consumer<G> visit) {
    matchingEmpty.forEach(visit);
    if (byValue.isEmpty() && byPresence.isEmpty()) {
      return;
    }
    for (Map.Entry<String, String> e : labels.entrySet()) {
      visitValue(e.getKey(), e.getValue(), visit);
      visitPresence(e.getKey(), visit);
    }
  }

  /** Visits every group whose answer may differ between {@code before} and {@code after}. */
  void forChange(Map<String, String> before, Map<String, String> after, Consumer<G> visit) {
    for (Map.Entry<String, String> e : before.entrySet()) {
      if (!after.containsKey(e.getKey())) {
        visitValue(e.getKey(), e.getValue(), visit);
        visitPresence(e.getKey(), visit);
      }
    }
    for (Map.Entry<String, String> e : after.entrySet()) {
      String was = before.get(e.getKey());
      if (was == null) {
        visitValue(e.getKey(), e.getValue(), visit);
        visitPresence(e.getKey(), visit);
      } else if (!was.equals(e.getValue())) {
        visitValue(e.getKey(), was, visit);
        visitValue(e.getKey(), e.getValue(), visit);
      }
    }
  }

  boolean isEmpty() {
    return matchingEmpty.isEmpty() && byValue.isEmpty() && byPresence.isEmpty();
  }

  private void visitValue(String key, String value, Consumer<G> visit) {
    Map<String, Bucket<G>> values = byValue.get(key);
    Bucket<G> set = values == null ? null : values.get(value);
    if (set != null) {
      set.forEach(visit);
    }
  }

  private void visitPresence(String key, Consumer<G> visit) {
    Bucket<G> set = byPresence.get(key);
    if (set != null) {
      set.forEach(visit);
    }
  }

  private void fileValue(String key, String value, G g) {
    byValue
        .computeIfAbsent(key, k -> new HashMap<>())
        .computeIfAbsent(value, v -> new Bucket<>())
        .add(g);
  }

  private void unfileValue(String key, String value, G g) {
    Map<String, Bucket<G>> values = byValue.get(key);
    Bucket<G> set = values == null ? null : values.get(value);
    if (set != null && set.remove(g) && set.isEmpty()) {
      values.remove(value);
      if (values.isEmpty()) {
        byValue.remove(key);
      }
    }
  }
}
