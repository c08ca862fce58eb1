package dev.weft.control;

import dev.weft.model.IpPrefix;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A prefix parsed into bits, and {@link #contains(IpPrefix, String)}: the same answer as {@link
 * IpPrefix#contains(String)} without parsing the prefix again or allocating, for ACL entries with a
 * subnet end, which the forwarding model checks for every packet. Addresses in the canonical forms
 * Weft stores (dotted quad, IPv6 hex groups with at most one {@code ::}) are read here; anything
 * else falls back to {@link IpPrefix#contains(String)}, so the answer (or the exception for a bad
 * address) is always that one. Network policies' address blocks hold their own ({@link #of}), so
 * that judging a packet against an ipBlock is a few integer operations.
 */
public final class Cidr {
  /** Parsed prefixes; policies name few subnets, and a bound keeps churn from growing it. */
  private static final Map<IpPrefix, Cidr> PARSED = new ConcurrentHashMap<>();

  private static final int MAX_PARSED = 4096;
  private static final long NOT_PARSED = -1;

  private final IpPrefix prefix;
  private final boolean v6;
  private final long high;
  private final long low;
  private final long highMask;
  private final long lowMask;

  private Cidr(IpPrefix prefix) {
    this.prefix = prefix;
    byte[] bytes = prefix.block().getLower().getBytes();
    int length = prefix.length();
    this.v6 = bytes.length == 16;
    if (v6) {
      long h = 0;
      long l = 0;
      for (int i = 0; i < 8; i++) {
        h = (h << 8) | (bytes[i] & 0xff);
        l = (l << 8) | (bytes[i + 8] & 0xff);
      }
      this.highMask = mask(Math.min(length, 64));
      this.lowMask = mask(Math.max(length - 64, 0));
      this.high = h & highMask;
      this.low = l & lowMask;
    } else {
      long a = 0;
      for (byte b : bytes) {
        a = (a << 8) | (b & 0xff);
      }
      this.highMask = 0;
      this.lowMask = mask(length) >>> 32;
      this.high = 0;
      this.low = a & lowMask;
    }
  }

  /** The top {@code bits} bits of a 64-bit word set. */
  private static long mask(int bits) {
    return bits == 0 ? 0 : -1L << (64 - bits);
  }

  /**
   * {@code prefix} parsed, for a caller that keeps it: from the same bounded cache as {@link
   * #contains(IpPrefix, String)}, since policies name the same few blocks over and over and parsing
   * one costs microseconds.
   */
  public static Cidr of(IpPrefix prefix) {
    Cidr c = PARSED.get(prefix);
    if (c == null) {
      if (PARSED.size() >= MAX_PARSED) {
        PARSED.clear();
      }
      c = PARSED.computeIfAbsent(prefix, Cidr::new);
    }
    return c;
  }

  /** Whether it is an IPv6 prefix. */
  public boolean isV6() {
    return v6;
  }

  /** The prefix this was parsed from. */
  public IpPrefix prefix() {
    return prefix;
  }

  /** Whether {@code address} lies in {@code prefix}: exactly {@link IpPrefix#contains(String)}. */
  static boolean contains(IpPrefix prefix, String address) {
    return of(prefix).contains(address);
  }

  /**
   * Whether {@code address} lies in this prefix: exactly {@link IpPrefix#contains(String)}, without
   * allocating for an address in canonical form.
   */
  public boolean contains(String address) {
    if (address.indexOf(':') >= 0) {
      int m = matchV6(address);
      return m < 0 ? prefix.contains(address) : m == 1;
    }
    long a = parseV4(address);
    if (a == NOT_PARSED) {
      return prefix.contains(address);
    }
    return !v6 && (a & lowMask) == low;
  }

  /** A dotted quad in canonical form (no leading zeros), or {@link #NOT_PARSED}. */
  private static long parseV4(String s) {
    int n = s.length();
    long value = 0;
    int parts = 0;
    int i = 0;
    while (i < n) {
      int start = i;
      int part = 0;
      while (i < n && s.charAt(i) != '.') {
        char c = s.charAt(i);
        if (c < '0' || c > '9' || i - start >= 3) {
          return NOT_PARSED;
        }
        part = part * 10 + (c - '0');
        i++;
      }
      int digits = i - start;
      if (digits == 0 || part > 255 || (digits > 1 && s.charAt(start) == '0') || parts == 4) {
        return NOT_PARSED;
      }
      value = (value << 8) | part;
      parts++;
      if (i < n) {
        i++; // the dot
        if (i == n) {
          return NOT_PARSED;
        }
      }
    }
    return parts == 4 ? value : NOT_PARSED;
  }

  /**
   * Reads {@code s} as IPv6 hex groups with at most one {@code ::}: 1 if it lies in this prefix, 0
   * if not (or this prefix is IPv4), -1 if {@code s} has another form (embedded IPv4, a zone, or
   * not an address), which the caller hands to the full parser.
   */
  private int matchV6(String s) {
    int n = s.length();
    long headHigh = 0;
    long headLow = 0;
    long tailHigh = 0;
    long tailLow = 0;
    int heads = 0;
    int tails = 0;
    boolean compressed = false;
    int i = 0;
    if (n >= 2 && s.charAt(0) == ':' && s.charAt(1) == ':') {
      compressed = true;
      i = 2;
    }
    while (i < n) {
      int start = i;
      long group = 0;
      while (i < n && s.charAt(i) != ':') {
        int d = Character.digit(s.charAt(i), 16);
        if (d < 0 || i - start >= 4) {
          return -1;
        }
        group = (group << 4) | d;
        i++;
      }
      if (i == start || heads + tails == 8) {
        return -1;
      }
      if (compressed) {
        tailHigh = (tailHigh << 16) | (tailLow >>> 48);
        tailLow = (tailLow << 16) | group;
        tails++;
      } else {
        headHigh = (headHigh << 16) | (headLow >>> 48);
        headLow = (headLow << 16) | group;
        heads++;
      }
      if (i < n) {
        i++; // the colon
        if (i < n && s.charAt(i) == ':') {
          if (compressed) {
            return -1;
          }
          compressed = true;
          i++;
        } else if (i == n) {
          return -1;
        }
      }
    }
    if (compressed ? heads + tails > 7 : heads != 8) {
      return -1;
    }
    // The head groups are the top of the address, the tail groups its bottom.
    int shift = 16 * (8 - heads);
    long high;
    long low;
    if (shift == 0) {
      high = headHigh;
      low = headLow;
    } else if (shift >= 64) {
      high = shift == 128 ? 0 : headLow << (shift - 64);
      low = 0;
    } else {
      high = (headHigh << shift) | (headLow >>> (64 - shift));
      low = headLow << shift;
    }
    high |= tailHigh;
    low |= tailLow;
    if (!v6) {
      return 0;
    }
    return (high & highMask) == this.high && (low & lowMask) == this.low ? 1 : 0;
  }
}
