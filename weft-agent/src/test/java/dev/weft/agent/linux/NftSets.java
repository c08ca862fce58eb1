package dev.weft.agent.linux;

import dev.weft.agent.linux.Nft.Field;
import java.math.BigInteger;
import java.util.List;

/** For tests: lookups in rendered sets and maps as the kernel does them, by scanning elements. */
final class NftSets {
  private NftSets() {}

  /**
   * The element of {@code set} whose key contains {@code point} (one value per field: a device name
   * for an ifname, a number or an address otherwise); null when none.
   */
  static Nft.Element lookup(Nft.Set set, List<Object> point) {
    for (Nft.Element e : set.elements()) {
      if (matches(set.key(), e.key(), point)) {
        return e;
      }
    }
    return null;
  }

  static boolean contains(Nft.Set set, List<Object> point) {
    return lookup(set, point) != null;
  }

  private static boolean matches(List<Field> fields, List<String> key, List<Object> point) {
    for (int i = 0; i < fields.size(); i++) {
      Field f = fields.get(i);
      String text = key.get(i);
      Object p = point.get(i);
      if (f == Field.IFNAME) {
        if (!text.equals(Nft.ifname((String) p))) {
          return false;
        }
        continue;
      }
      BigInteger v = value(f, p.toString());
      int dash = text.indexOf('-');
      BigInteger lo = value(f, dash < 0 ? text : text.substring(0, dash));
      BigInteger hi = dash < 0 ? lo : value(f, text.substring(dash + 1));
      if (v.compareTo(lo) < 0 || v.compareTo(hi) > 0) {
        return false;
      }
    }
    return true;
  }

  private static BigInteger value(Field f, String text) {
    return f == Field.IPV4 || f == Field.IPV6 ? Nft.number(text) : new BigInteger(text);
  }
}
