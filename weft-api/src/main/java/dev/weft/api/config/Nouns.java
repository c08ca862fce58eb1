package dev.weft.api.config;

import dev.weft.model.ConfigObject;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import java.util.Collection;
import java.util.List;

/** How error messages name objects to people: "virtual network default-domain:p:vn-1". */
public final class Nouns {
  private Nouns() {}

  /** {@code virtual network}, {@code floating IP pool}. */
  public static String noun(ObjectType type) {
    return type.singular().replace('-', ' ').replaceAll("\\bip\\b", "IP");
  }

  /** {@code virtual networks}, {@code network policies}. */
  public static String plural(ObjectType type) {
    String one = noun(type);
    return one.endsWith("y") ? one.substring(0, one.length() - 1) + "ies" : one + "s";
  }

  /** The noun for {@code count} objects: {@code 1 network policy}, {@code 2 network policies}. */
  public static String count(ObjectType type, int count) {
    return count + " " + (count == 1 ? noun(type) : plural(type));
  }

  public static String describe(ConfigObject object) {
    return noun(object.type()) + " " + object.fqName();
  }

  /** {@code Kubernetes Pod default/web-1}, {@code Kubernetes Namespace user-1}. */
  public static String kubernetes(Owner owner) {
    String name =
        owner.namespace().isEmpty() ? owner.name() : owner.namespace() + "/" + owner.name();
    return "Kubernetes " + owner.kind() + " " + name;
  }

  /** {@code a, b, c and 4 more}. */
  public static String list(Collection<String> items, int max) {
    List<String> all = List.copyOf(items);
    if (all.size() <= max) {
      return String.join(", ", all);
    }
    return String.join(", ", all.subList(0, max)) + " and " + (all.size() - max) + " more";
  }
}
