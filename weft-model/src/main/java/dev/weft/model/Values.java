package dev.weft.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

/** Normalisation shared by the records' compact constructors. */
final class Values {
  private Values() {}

  static <T> List<T> list(List<T> in) {
    return in == null ? List.of() : List.copyOf(in);
  }

  /** Annotations are kept sorted so two equal objects serialise to the same bytes. */
  static Map<String, String> annotations(Map<String, String> in) {
    return in == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(in));
  }

  static void require(UUID uuid, FqName fqName) {
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(fqName, "fq_name");
  }

  static List<Ref> refs(Object... refsOrLists) {
    List<Ref> out = new ArrayList<>();
    for (Object o : refsOrLists) {
      if (o instanceof Ref r) {
        out.add(r);
      } else if (o instanceof List<?> l) {
        for (Object e : l) {
          if (e instanceof Ref r) {
            out.add(r);
          }
        }
      }
    }
    return out;
  }

  static Map<String, String> merge(Map<String, String> a, Map<String, String> b) {
    Map<String, String> m = new LinkedHashMap<>(a);
    m.putAll(b);
    return m;
  }
}
