package dev.weft.control.policy;

import dev.weft.model.LabelRequirement;
import dev.weft.model.LabelSelector;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The identity of a group of pods that policies share: the pods matching {@code podSelector} either
 * in one namespace (an applied-to group, or a peer given by a pod selector alone) or in every
 * namespace {@code namespaceSelector} matches (a peer with a namespace selector). Two policies that
 * name the same pods the same way share one group, so its membership is computed and kept once.
 *
 * <p>Selectors are normalised ({@code matchExpressions} in a canonical order) so that the order in
 * which a manifest lists its expressions does not split a group. Keys order by their text, which is
 * what deltas and listings are sorted by.
 */
public final class GroupKey implements Comparable<GroupKey> {
  private static final Comparator<LabelRequirement> REQUIREMENT_ORDER =
      Comparator.comparing(LabelRequirement::key)
          .thenComparing(LabelRequirement::operator)
          .thenComparing(r -> String.join(",", r.values()));

  private final String namespace;
  private final LabelSelector namespaceSelector;
  private final LabelSelector podSelector;
  private final int hash;

  /** Made when first asked for: most keys are built to look an interned group up, then dropped. */
  private String text;

  private GroupKey(String namespace, LabelSelector namespaceSelector, LabelSelector podSelector) {
    this.namespace = namespace;
    this.namespaceSelector = namespaceSelector;
    this.podSelector = podSelector;
    this.hash = Objects.hash(namespace, namespaceSelector, podSelector);
  }

  /** The pods of namespace {@code namespace} that {@code pods} matches. */
  public static GroupKey inNamespace(String namespace, LabelSelector pods) {
    return new GroupKey(Objects.requireNonNull(namespace, "namespace"), null, normal(pods));
  }

  /** The pods that {@code pods} matches in every namespace {@code namespaces} matches. */
  public static GroupKey acrossNamespaces(LabelSelector namespaces, LabelSelector pods) {
    return new GroupKey(null, normal(Objects.requireNonNull(namespaces)), normal(pods));
  }

  /** {@code s} with its expressions in canonical order; null reads as the empty selector. */
  static LabelSelector normal(LabelSelector s) {
    if (s == null || s.isEmpty()) {
      return LabelSelector.ALL;
    }
    if (s.matchExpressions().size() < 2) {
      return s;
    }
    List<LabelRequirement> sorted = new ArrayList<>(s.matchExpressions());
    sorted.sort(REQUIREMENT_ORDER);
    List<LabelRequirement> distinct = new ArrayList<>();
    for (LabelRequirement r : sorted) {
      if (distinct.isEmpty() || !distinct.get(distinct.size() - 1).equals(r)) {
        distinct.add(r);
      }
    }
    return new LabelSelector(s.matchLabels(), distinct);
  }

  /** The one namespace of the group, or null when a namespace selector picks its namespaces. */
  public String namespace() {
    return namespace;
  }

  /** The selector of the group's namespaces, or null when the group is within one namespace. */
  public LabelSelector namespaceSelector() {
    return namespaceSelector;
  }

  public LabelSelector podSelector() {
    return podSelector;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GroupKey k
        && hash == k.hash
        && Objects.equals(namespace, k.namespace)
        && Objects.equals(namespaceSelector, k.namespaceSelector)
        && podSelector.equals(k.podSelector);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public int compareTo(GroupKey o) {
    return toString().compareTo(o.toString());
  }

  /** {@code x/{app=web}} within a namespace, {@code {team=a}/{app=web}} across namespaces. */
  @Override
  public String toString() {
    String t = text;
    if (t == null) {
      StringBuilder sb = new StringBuilder(64);
      if (namespace != null) {
        sb.append(namespace);
      } else {
        append(sb, namespaceSelector);
      }
      sb.append('/');
      append(sb, podSelector);
      t = sb.toString();
      text = t; // racy but idempotent: every thread computes the same string
    }
    return t;
  }

  /** {@code {k=v,k2 in (a,b)}}, {@code {}} for the empty selector. */
  private static void append(StringBuilder sb, LabelSelector s) {
    sb.append('{');
    boolean first = true;
    for (Map.Entry<String, String> e : s.matchLabels().entrySet()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      sb.append(e.getKey()).append('=').append(e.getValue());
    }
    for (LabelRequirement r : s.matchExpressions()) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      sb.append(r);
    }
    sb.append('}');
  }
}
