package dev.weft.control.policy;

import dev.weft.model.LabelRequirement;
import dev.weft.model.LabelSelector;
import java.util.List;
import java.util.Map;

/**
 * A label selector flattened into arrays: the same answer as {@link LabelSelector#matches} without
 * walking its maps, and its terms laid out for the indexes. A term is a <em>value term</em> when
 * whether it holds can change only through a label taking or leaving one of its values ({@code
 * matchLabels}, {@code In}, {@code NotIn}), a <em>presence term</em> when only through the key
 * appearing or disappearing ({@code Exists}, {@code DoesNotExist}); a <em>positive term</em> is one
 * that an object without the key fails ({@code matchLabels}, {@code In}, {@code Exists}), which is
 * what lets the indexes find candidates without scanning everything.
 */
final class Selector {
  final LabelSelector source;
  final String[] equalKeys;
  final String[] equalValues;
  final String[] keys;
  final LabelRequirement.Operator[] operators;
  final String[][] values;

  /** Whether it matches an object without labels: it has no positive term. */
  final boolean matchesEmpty;

  Selector(LabelSelector source) {
    this.source = source;
    int n = source.matchLabels().size();
    equalKeys = new String[n];
    equalValues = new String[n];
    int i = 0;
    for (Map.Entry<String, String> e : source.matchLabels().entrySet()) {
      equalKeys[i] = e.getKey();
      equalValues[i] = e.getValue();
      i++;
    }
    List<LabelRequirement> reqs = source.matchExpressions();
    keys = new String[reqs.size()];
    operators = new LabelRequirement.Operator[reqs.size()];
    values = new String[reqs.size()][];
    boolean positive = n > 0;
    for (int j = 0; j < reqs.size(); j++) {
      LabelRequirement r = reqs.get(j);
      keys[j] = r.key();
      operators[j] = r.operator();
      values[j] = r.values().toArray(String[]::new);
      positive |=
          r.operator() == LabelRequirement.Operator.IN
              || r.operator() == LabelRequirement.Operator.EXISTS;
    }
    matchesEmpty = !positive;
  }

  /** Exactly {@link LabelSelector#matches}. */
  boolean matches(Map<String, String> labels) {
    for (int i = 0; i < equalKeys.length; i++) {
      if (!equalValues[i].equals(labels.get(equalKeys[i]))) {
        return false;
      }
    }
    for (int j = 0; j < keys.length; j++) {
      String v = labels.get(keys[j]);
      boolean holds =
          switch (operators[j]) {
            case IN -> v != null && contains(values[j], v);
            case NOT_IN -> v == null || !contains(values[j], v);
            case EXISTS -> v != null;
            case DOES_NOT_EXIST -> v == null;
          };
      if (!holds) {
        return false;
      }
    }
    return true;
  }

  /** Whether term {@code j} (of the expressions) is a value term rather than a presence term. */
  boolean valueTerm(int j) {
    return operators[j] == LabelRequirement.Operator.IN
        || operators[j] == LabelRequirement.Operator.NOT_IN;
  }

  private static boolean contains(String[] values, String v) {
    for (String x : values) {
      if (x.equals(v)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return source.toString();
  }
}
