package dev.weft.agent.linux;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Boxes in a space of integer ranges (one range per field of an nftables concatenated interval
 * key), and what an ordered, first-match list of them decides, as disjoint boxes. nftables'
 * interval sets (the pipapo backend) look a packet up in time that does not grow with the number of
 * rules, but they hold no priorities and refuse overlapping elements; so an ACL's first-match
 * order, or the union of NetworkPolicy rules, is flattened here into disjoint boxes before it
 * becomes elements.
 */
final class Boxes {
  private Boxes() {}

  /** A box: field {@code i} ranges over {@code [lo[i], hi[i]]}. */
  static final class Box {
    final BigInteger[] lo;
    final BigInteger[] hi;

    Box(BigInteger[] lo, BigInteger[] hi) {
      if (lo.length != hi.length) {
        throw new IllegalArgumentException("a box has as many lower as upper bounds");
      }
      this.lo = lo;
      this.hi = hi;
    }

    static Box of(long... bounds) {
      BigInteger[] lo = new BigInteger[bounds.length / 2];
      BigInteger[] hi = new BigInteger[bounds.length / 2];
      for (int i = 0; i < lo.length; i++) {
        lo[i] = BigInteger.valueOf(bounds[2 * i]);
        hi[i] = BigInteger.valueOf(bounds[2 * i + 1]);
      }
      return new Box(lo, hi);
    }

    int dims() {
      return lo.length;
    }

    boolean empty() {
      for (int i = 0; i < lo.length; i++) {
        if (lo[i].compareTo(hi[i]) > 0) {
          return true;
        }
      }
      return false;
    }

    boolean overlaps(Box o) {
      for (int i = 0; i < lo.length; i++) {
        if (lo[i].compareTo(o.hi[i]) > 0 || o.lo[i].compareTo(hi[i]) > 0) {
          return false;
        }
      }
      return true;
    }

    boolean contains(BigInteger[] point) {
      for (int i = 0; i < lo.length; i++) {
        if (point[i].compareTo(lo[i]) < 0 || point[i].compareTo(hi[i]) > 0) {
          return false;
        }
      }
      return true;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Box b && Arrays.equals(lo, b.lo) && Arrays.equals(hi, b.hi);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(lo) + Arrays.hashCode(hi);
    }

    @Override
    public String toString() {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < lo.length; i++) {
        if (i > 0) {
          sb.append(" . ");
        }
        sb.append(lo[i]).append('-').append(hi[i]);
      }
      return sb.append(']').toString();
    }
  }

  /** A box and what it decides. */
  record Decided<T>(Box box, T action) {}

  /**
   * {@code a} less {@code b}, as disjoint boxes: along each field in turn, the parts of {@code a}
   * below and above {@code b}, then {@code a} narrowed to {@code b} on that field.
   */
  static List<Box> subtract(Box a, Box b) {
    if (!a.overlaps(b)) {
      return List.of(a);
    }
    List<Box> out = new ArrayList<>();
    BigInteger[] lo = a.lo.clone();
    BigInteger[] hi = a.hi.clone();
    for (int d = 0; d < a.dims(); d++) {
      if (lo[d].compareTo(b.lo[d]) < 0) {
        BigInteger[] h = hi.clone();
        h[d] = b.lo[d].subtract(BigInteger.ONE);
        out.add(new Box(lo.clone(), h));
        lo[d] = b.lo[d];
      }
      if (hi[d].compareTo(b.hi[d]) > 0) {
        BigInteger[] l = lo.clone();
        l[d] = b.hi[d].add(BigInteger.ONE);
        out.add(new Box(l, hi.clone()));
        hi[d] = b.hi[d];
      }
    }
    return out;
  }

  /**
   * What a first-match list decides, as disjoint boxes: each box of the result lies inside the
   * first box of {@code ordered} that covers it, and carries that box's action; a point no box of
   * {@code ordered} covers is in no box of the result.
   */
  static <T> List<Decided<T>> firstMatch(List<Decided<T>> ordered) {
    List<Decided<T>> out = new ArrayList<>();
    for (Decided<T> d : ordered) {
      List<Box> pieces = List.of(d.box());
      if (d.box().empty()) {
        continue;
      }
      for (Decided<T> done : out) {
        if (!d.box().overlaps(done.box())) {
          continue;
        }
        List<Box> next = new ArrayList<>();
        for (Box p : pieces) {
          next.addAll(subtract(p, done.box()));
        }
        pieces = next;
        if (pieces.isEmpty()) {
          break;
        }
      }
      for (Box p : pieces) {
        out.add(new Decided<>(p, d.action()));
      }
    }
    return out;
  }

  /** The union of {@code boxes} as disjoint boxes. */
  static List<Box> union(List<Box> boxes) {
    List<Decided<Boolean>> d = new ArrayList<>();
    for (Box b : boxes) {
      d.add(new Decided<>(b, Boolean.TRUE));
    }
    return firstMatch(d).stream().map(Decided::box).toList();
  }
}
