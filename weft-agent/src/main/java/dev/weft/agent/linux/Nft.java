package dev.weft.agent.linux;

import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Weft's nftables table ({@code inet weft}) as values: named sets and maps with their elements, and
 * chains with their rules, in the text {@code nft -f} reads. Elements are held in one canonical
 * text per field ({@link Field#format}), which is also what {@link KernelReader} turns the kernel's
 * JSON into, so that desired and observed elements compare with {@code equals}.
 */
public final class Nft {
  /** The table's family. */
  public static final String FAMILY = "inet";

  /** The table's name. */
  public static final String TABLE = "weft";

  private Nft() {}

  /** The type of one field of a set's key. */
  public enum Field {
    IFNAME("ifname", 0),
    IPV4("ipv4_addr", 32),
    IPV6("ipv6_addr", 128),
    MARK("mark", 32),
    PROTO("inet_proto", 8),
    SERVICE("inet_service", 16);

    private final String nft;
    private final int bits;

    Field(String nft, int bits) {
      this.nft = nft;
      this.bits = bits;
    }

    public String nft() {
      return nft;
    }

    /** The largest value of the field. */
    public BigInteger max() {
      return BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE);
    }

    public static Field of(String nftType) {
      if (nftType.equals("bitmask")) {
        return MARK; // how nft lists a mark field of an interval key
      }
      for (Field f : values()) {
        if (f.nft.equals(nftType)) {
          return f;
        }
      }
      throw new IllegalArgumentException("no set field of type " + nftType);
    }

    /** {@code lo} to {@code hi} in canonical text: one value when they are equal, else a range. */
    public String format(BigInteger lo, BigInteger hi) {
      String a = value(lo);
      return lo.equals(hi) ? a : a + "-" + value(hi);
    }

    public String format(long lo, long hi) {
      return format(BigInteger.valueOf(lo), BigInteger.valueOf(hi));
    }

    /** An exact value in canonical text. */
    public String format(long value) {
      return format(value, value);
    }

    private String value(BigInteger v) {
      return switch (this) {
        case IPV4, IPV6 -> address(v, this == IPV6);
        case IFNAME -> throw new IllegalArgumentException("an ifname is not a number");
        default -> v.toString();
      };
    }
  }

  /** {@code name} as an ifname field. */
  public static String ifname(String name) {
    return "\"" + name + "\"";
  }

  /** An address as a number. */
  public static BigInteger number(String address) {
    try {
      return new BigInteger(1, InetAddress.getByName(address).getAddress());
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an address: " + address, e);
    }
  }

  /** {@code v} as an IPv4 or IPv6 address, in the form nft prints. */
  public static String address(BigInteger v, boolean v6) {
    byte[] raw = v.toByteArray();
    byte[] bytes = new byte[v6 ? 16 : 4];
    int n = Math.min(raw.length, bytes.length);
    System.arraycopy(raw, raw.length - n, bytes, bytes.length - n, n);
    try {
      String s = InetAddress.getByAddress(bytes).getHostAddress();
      return v6 ? dev.weft.model.IpPrefix.canonicalAddress(s) : s;
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * One element: its key's fields in canonical text, and its value (null in a set). Equal when
   * their text is; the text is built once, since tables hold tens of thousands of elements that are
   * sorted and compared on every render and diff.
   */
  public static final class Element implements Comparable<Element> {
    private final List<String> key;
    private final String value;
    private final String keyText;
    private final String text;

    public Element(List<String> key, String value) {
      this.key = List.copyOf(key);
      this.value = value;
      this.keyText = String.join(" . ", this.key);
      this.text = value == null ? keyText : keyText + " : " + value;
    }

    public List<String> key() {
      return key;
    }

    public String value() {
      return value;
    }

    public String keyText() {
      return keyText;
    }

    public String text() {
      return text;
    }

    @Override
    public int compareTo(Element o) {
      return text.compareTo(o.text);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Element e && text.equals(e.text);
    }

    @Override
    public int hashCode() {
      return text.hashCode();
    }

    @Override
    public String toString() {
      return text;
    }
  }

  /**
   * A named set ({@code value} null) or map.
   *
   * @param value the map's value type ({@code verdict}, {@code mark}), or null for a set
   * @param interval whether its key fields are ranges (then elements must not overlap)
   */
  public record Set(
      String name, List<Field> key, boolean interval, String value, List<Element> elements) {
    public Set {
      key = List.copyOf(key);
      elements = elements.stream().sorted().distinct().toList();
    }

    /** What {@code add set|map} takes between braces; equal declarations need no re-creation. */
    public String declaration() {
      StringBuilder sb = new StringBuilder("type ");
      sb.append(String.join(" . ", key.stream().map(Field::nft).toList()));
      if (value != null) {
        sb.append(" : ").append(value);
      }
      sb.append(";");
      if (interval) {
        sb.append(" flags interval;");
      }
      return sb.toString();
    }

    public String kind() {
      return value == null ? "set" : "map";
    }
  }

  /** A base chain's hook. */
  public record Base(String type, String hook, int priority, String policy) {
    public String declaration() {
      return "type "
          + type
          + " hook "
          + hook
          + " priority "
          + priority
          + "; policy "
          + policy
          + ";";
    }
  }

  /**
   * A chain and its rules, in order. Each rule carries a comment with a digest of its text ({@link
   * #comment}), which is how a reconcile tells whether the kernel's rules are these without parsing
   * nftables' rendering of them back.
   *
   * @param base its hook, or null for a regular chain (reached by jump or goto)
   */
  public record Chain(String name, Base base, List<String> rules) {
    public Chain {
      rules = List.copyOf(rules);
    }

    /** The comment rule {@code rule} carries. */
    public static String comment(String rule) {
      return "w" + Naming.digest(rule);
    }
  }

  /** The whole table; empty means the table should not exist. */
  public record Ruleset(List<Set> sets, List<Chain> chains) {
    public static final Ruleset EMPTY = new Ruleset(List.of(), List.of());

    public Ruleset {
      sets = sets.stream().sorted((a, b) -> a.name().compareTo(b.name())).toList();
      chains = List.copyOf(chains);
    }

    public boolean isEmpty() {
      return sets.isEmpty() && chains.isEmpty();
    }

    public Set set(String name) {
      for (Set s : sets) {
        if (s.name().equals(name)) {
          return s;
        }
      }
      return null;
    }

    public Chain chain(String name) {
      for (Chain c : chains) {
        if (c.name().equals(name)) {
          return c;
        }
      }
      return null;
    }

    /** The number of set and map elements. */
    public int elementCount() {
      return sets.stream().mapToInt(s -> s.elements().size()).sum();
    }

    /** The whole table as one {@code nft -f} script that creates it from nothing. */
    public String script() {
      StringBuilder sb = new StringBuilder();
      sb.append("add table ").append(FAMILY).append(' ').append(TABLE).append('\n');
      for (Chain c : chains) {
        sb.append(NftScript.addChain(c));
      }
      for (Set s : sets) {
        sb.append(NftScript.addSet(s));
      }
      for (Chain c : chains) {
        for (String r : c.rules()) {
          sb.append(NftScript.addRule(c.name(), r));
        }
      }
      for (Set s : sets) {
        if (!s.elements().isEmpty()) {
          sb.append(NftScript.elements("add", s, s.elements()));
        }
      }
      return sb.toString();
    }
  }

  static String lower(String s) {
    return Objects.requireNonNull(s).toLowerCase(Locale.ROOT);
  }
}
