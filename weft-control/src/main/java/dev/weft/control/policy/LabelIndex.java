package dev.weft.control.policy;

import dev.weft.model.LabelRequirement;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Objects (pods of one namespace, or namespaces) by {@code key} and {@code value} of their labels,
 * so that a selector's matches are found from its most selective positive term instead of a scan:
 * computing a group costs about the size of its result. A selector with no positive term (empty, or
 * only {@code NotIn} / {@code DoesNotExist}) matches objects without labels, so its candidates are
 * all objects in scope; its result is usually most of them anyway.
 *
 * @param <T> the object type
 */
final class LabelIndex<T> {
  private final Map<String, Map<String, Bucket<T>>> index = new HashMap<>();

  void add(Map<String, String> labels, T t) {
    for (Map.Entry<String, String> e : labels.entrySet()) {
      file(e.getKey(), e.getValue(), t);
    }
  }

  void remove(Map<String, String> labels, T t) {
    for (Map.Entry<String, String> e : labels.entrySet()) {
      unfile(e.getKey(), e.getValue(), t);
    }
  }

  /** Moves {@code t} from {@code before}'s entries to {@code after}'s, touching changed keys. */
  void change(Map<String, String> before, Map<String, String> after, T t) {
    for (Map.Entry<String, String> e : before.entrySet()) {
      if (!e.getValue().equals(after.get(e.getKey()))) {
        unfile(e.getKey(), e.getValue(), t);
      }
    }
    for (Map.Entry<String, String> e : after.entrySet()) {
      if (!e.getValue().equals(before.get(e.getKey()))) {
        file(e.getKey(), e.getValue(), t);
      }
    }
  }

  /**
   * Visits a superset of the objects {@code s} matches among {@code all} (which this index holds):
   * the objects of its positive term with the fewest, or {@code all} when it has none. Visits
   * nothing when a positive term has no object at all. The caller checks {@link Selector#matches}.
   */
  void forEachCandidate(Selector s, int allSize, Iterable<T> all, Consumer<T> visit) {
    int best = -2; // -2: all; -1 - i: matchLabels term i; j >= 0: expression j
    int bestSize = allSize;
    for (int i = 0; i < s.equalKeys.length; i++) {
      int n = size(s.equalKeys[i], s.equalValues[i]);
      if (n == 0) {
        return;
      }
      if (n < bestSize) {
        best = -1 - i;
        bestSize = n;
      }
    }
    for (int j = 0; j < s.keys.length; j++) {
      int n;
      if (s.operators[j] == LabelRequirement.Operator.IN) {
        n = 0;
        for (String v : s.values[j]) {
          n += size(s.keys[j], v);
        }
      } else if (s.operators[j] == LabelRequirement.Operator.EXISTS) {
        n = 0;
        Map<String, Bucket<T>> values = index.get(s.keys[j]);
        if (values != null) {
          for (Bucket<T> set : values.values()) {
            n += set.size();
          }
        }
      } else {
        continue;
      }
      if (n == 0) {
        return;
      }
      if (n < bestSize) {
        best = j;
        bestSize = n;
      }
    }
    if (best == -2) {
      all.forEach(visit);
    } else if (best < 0) {
      int i = -1 - best;
      index.get(s.equalKeys[i]).get(s.equalValues[i]).forEach(visit);
    } else {
      Map<String, Bucket<T>> values = index.get(s.keys[best]);
      if (s.operators[best] == LabelRequirement.Operator.IN) {
        for (String v : s.values[best]) {
          Bucket<T> set = values.get(v);
          if (set != null) {
            set.forEach(visit);
          }
        }
      } else {
        values.values().forEach(set -> set.forEach(visit));
      }
    }
  }

  private int size(String key, String value) {
    Map<String, Bucket<T>> values = index.get(key);
    Bucket<T> set = values == null ? null : values.get(value);
    return set == null ? 0 : set.size();
  }

  private void file(String key, String value, T t) {
    index
        .computeIfAbsent(key, k -> new HashMap<>())
        .computeIfAbsent(value, v -> new Bucket<>())
        .add(t);
  }

  private void unfile(String key, String value, T t) {
    Map<String, Bucket<T>> values = index.get(key);
    Bucket<T> set = values == null ? null : values.get(value);
    if (set != null && set.remove(t) && set.isEmpty()) {
      values.remove(value);
      if (values.isEmpty()) {
        index.remove(key);
      }
    }
  }
}
