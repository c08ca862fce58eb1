package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A Kubernetes label selector over one tag space (pod labels, or namespace labels): every {@code
 * matchLabels} pair and every requirement must hold. An empty selector selects everything.
 */
public record LabelSelector(
    Map<String, String> matchLabels, List<LabelRequirement> matchExpressions) {
  /** The selector that selects everything ({@code {}}). */
  public static final LabelSelector ALL = new LabelSelector(Map.of(), List.of());

  public LabelSelector {
    matchLabels =
        matchLabels == null
            ? Map.of()
            : java.util.Collections.unmodifiableMap(new TreeMap<>(matchLabels));
    matchExpressions = Values.list(matchExpressions);
  }

  /** Whether it selects everything. */
  public boolean isEmpty() {
    return matchLabels.isEmpty() && matchExpressions.isEmpty();
  }

  /** Whether {@code labels} satisfy it. */
  public boolean matches(Map<String, String> labels) {
    for (Map.Entry<String, String> e : matchLabels.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    for (LabelRequirement r : matchExpressions) {
      if (!r.matches(labels)) {
        return false;
      }
    }
    return true;
  }

  /** The label keys it looks at (a change to any other key cannot change what it selects). */
  public java.util.Set<String> keys() {
    java.util.Set<String> out = new java.util.TreeSet<>(matchLabels.keySet());
    matchExpressions.forEach(r -> out.add(r.key()));
    return out;
  }

  @Override
  public String toString() {
    if (isEmpty()) {
      return "{}";
    }
    java.util.List<String> parts = new java.util.ArrayList<>();
    matchLabels.forEach((k, v) -> parts.add(k + "=" + v));
    matchExpressions.forEach(r -> parts.add(r.toString()));
    return String.join(",", parts);
  }
}
