package dev.weft.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.List;

/**
 * A fully qualified name such as {@code [default-domain, k8s-default, k8s-default-pod-network]}.
 *
 * <p>Printed and parsed with {@code :} between the parts, as Contrail users write them.
 */
public record FqName(List<String> parts) implements Comparable<FqName> {

  public FqName {
    if (parts == null || parts.isEmpty()) {
      throw new IllegalArgumentException("an FQ name needs at least one part");
    }
    parts = List.copyOf(parts);
    for (String part : parts) {
      Names.requireValidPart(part);
    }
  }

  @JsonCreator
  public static FqName of(List<String> parts) {
    return new FqName(parts);
  }

  public static FqName of(String... parts) {
    return new FqName(List.of(parts));
  }

  /** Parses {@code a:b:c}; throws {@link IllegalArgumentException} with the offending text. */
  public static FqName parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty FQ name");
    }
    return new FqName(List.of(text.split(":", -1)));
  }

  @JsonValue
  @Override
  public List<String> parts() {
    return parts;
  }

  /** The last part: the object's own name. */
  public String name() {
    return parts.get(parts.size() - 1);
  }

  /** The FQ name of the parent, or null for a top-level name. */
  public FqName parentName() {
    return parts.size() == 1 ? null : new FqName(parts.subList(0, parts.size() - 1));
  }

  /** This name with {@code child} appended. */
  public FqName child(String child) {
    List<String> next = new ArrayList<>(parts);
    next.add(child);
    return new FqName(next);
  }

  @Override
  public String toString() {
    return String.join(":", parts);
  }

  @Override
  public int compareTo(FqName other) {
    return toString().compareTo(other.toString());
  }
}
