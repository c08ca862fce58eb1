package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One {@code matchExpressions} entry of a label selector, with Kubernetes' meaning: {@code In} the
 * key is present with one of the values; {@code NotIn} the key is absent or its value is none of
 * them; {@code Exists} / {@code DoesNotExist} the key is present / absent (no values).
 */
public record LabelRequirement(String key, Operator operator, List<String> values) {
  /** The operators of {@code matchExpressions}. */
  public enum Operator {
    IN("In"),
    NOT_IN("NotIn"),
    EXISTS("Exists"),
    DOES_NOT_EXIST("DoesNotExist");

    private final String wire;

    Operator(String wire) {
      this.wire = wire;
    }

    @com.fasterxml.jackson.annotation.JsonValue
    public String wire() {
      return wire;
    }

    @com.fasterxml.jackson.annotation.JsonCreator
    public static Operator parse(String text) {
      for (Operator o : values()) {
        if (o.wire.equals(text)) {
          return o;
        }
      }
      throw new IllegalArgumentException(
          "operator \"" + text + "\" is not one of In, NotIn, Exists, DoesNotExist");
    }
  }

  public LabelRequirement {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(operator, "operator");
    values = Values.list(values).stream().distinct().sorted().toList();
    boolean needsValues = operator == Operator.IN || operator == Operator.NOT_IN;
    if (needsValues && values.isEmpty()) {
      throw new IllegalArgumentException(
          "requirement on \"" + key + "\": " + operator.wire() + " needs at least one value");
    }
    if (!needsValues && !values.isEmpty()) {
      throw new IllegalArgumentException(
          "requirement on \"" + key + "\": " + operator.wire() + " takes no values");
    }
  }

  public boolean matches(Map<String, String> labels) {
    String v = labels.get(key);
    return switch (operator) {
      case IN -> v != null && values.contains(v);
      case NOT_IN -> v == null || !values.contains(v);
      case EXISTS -> v != null;
      case DOES_NOT_EXIST -> v == null;
    };
  }

  @Override
  public String toString() {
    return switch (operator) {
      case IN -> key + " in (" + String.join(",", values) + ")";
      case NOT_IN -> key + " notin (" + String.join(",", values) + ")";
      case EXISTS -> key;
      case DOES_NOT_EXIST -> "!" + key;
    };
  }
}
