package dev.weft.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import inet.ipaddr.AddressStringException;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import java.math.BigInteger;

/**
 * An IPv4 or IPv6 prefix such as {@code 10.32.0.0/12}, held in canonical form (host bits zero).
 *
 * <p>A prefix written with host bits set ({@code 10.32.0.1/12}) is refused rather than silently
 * truncated: it is almost always a typo.
 */
public record IpPrefix(String cidr) {

  public IpPrefix {
    cidr = canonical(cidr);
  }

  @JsonCreator
  public static IpPrefix parse(String cidr) {
    return new IpPrefix(cidr);
  }

  private static String canonical(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("empty prefix");
    }
    if (text.indexOf('/') < 0) {
      throw new IllegalArgumentException(
          "prefix \"" + text + "\" needs a length, such as 10.32.0.0/12 or fd00::/64");
    }
    IPAddress address;
    try {
      address = new IPAddressString(text.trim()).toAddress();
    } catch (AddressStringException e) {
      throw new IllegalArgumentException("\"" + text + "\" is not an IP prefix: " + e.getMessage());
    }
    if (address.getNetworkPrefixLength() == null) {
      throw new IllegalArgumentException("\"" + text + "\" is not an IP prefix");
    }
    IPAddress network = address.toPrefixBlock();
    if (!network.getLower().equals(address.getLower())) {
      throw new IllegalArgumentException(
          "prefix \""
              + text
              + "\" has host bits set; did you mean "
              + network.toCanonicalString()
              + "?");
    }
    return network.toCanonicalString();
  }

  /** The prefix as a block (lower address = network address). */
  public IPAddress block() {
    return new IPAddressString(cidr).getAddress().toPrefixBlock();
  }

  // family() and length() read the canonical text: they are on renderers' hot paths, where
  // parsing the prefix again for each call dominated a node's render.
  public IpFamily family() {
    return cidr.indexOf(':') >= 0 ? IpFamily.V6 : IpFamily.V4;
  }

  public int length() {
    return Integer.parseInt(cidr, cidr.indexOf('/') + 1, cidr.length(), 10);
  }

  /** Number of addresses in the prefix. */
  public BigInteger size() {
    return BigInteger.ONE.shiftLeft(block().getBitCount() - length());
  }

  /** The address at {@code offset} from the network address, without prefix length. */
  public String addressAt(BigInteger offset) {
    IPAddress lower = block().getLower().withoutPrefixLength();
    BigInteger value = lower.getValue().add(offset);
    return addressFromValue(value, family());
  }

  /** Offset of {@code address} in this prefix, or -1 when it lies outside. */
  public BigInteger offsetOf(String address) {
    IPAddress a = parseAddress(address);
    if (a.isIPv4() != block().isIPv4() || !block().contains(a)) {
      return BigInteger.ONE.negate();
    }
    return a.getValue().subtract(block().getLower().getValue());
  }

  public boolean contains(String address) {
    return offsetOf(address).signum() >= 0;
  }

  /** True if the two prefixes share any address. */
  public boolean overlaps(IpPrefix other) {
    return block().contains(other.block()) || other.block().contains(block());
  }

  /** Parses a single address (no prefix length) into canonical text; throws on bad input. */
  public static String canonicalAddress(String text) {
    if (isCanonicalV4(text)) {
      return text; // the common case, answered without the parser
    }
    return parseAddress(text).toCanonicalString();
  }

  /** Whether {@code s} is a dotted quad of decimal octets without leading zeros. */
  static boolean isCanonicalV4(String s) {
    if (s == null) {
      return false;
    }
    int parts = 0;
    int i = 0;
    int n = s.length();
    while (i < n) {
      int start = i;
      int value = 0;
      while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9' && i - start < 3) {
        value = value * 10 + (s.charAt(i) - '0');
        i++;
      }
      int digits = i - start;
      if (digits == 0 || value > 255 || (digits > 1 && s.charAt(start) == '0')) {
        return false;
      }
      parts++;
      if (i == n) {
        break;
      }
      if (s.charAt(i) != '.' || parts == 4) {
        return false;
      }
      i++;
      if (i == n) {
        return false;
      }
    }
    return parts == 4;
  }

  static IPAddress parseAddress(String text) {
    if (text == null || text.isBlank() || text.indexOf('/') >= 0) {
      throw new IllegalArgumentException("\"" + text + "\" is not an IP address");
    }
    try {
      return new IPAddressString(text.trim()).toAddress().withoutPrefixLength();
    } catch (AddressStringException e) {
      throw new IllegalArgumentException("\"" + text + "\" is not an IP address");
    }
  }

  private static String addressFromValue(BigInteger value, IpFamily family) {
    byte[] raw = value.toByteArray();
    int width = family == IpFamily.V4 ? 4 : 16;
    byte[] bytes = new byte[width];
    int copy = Math.min(raw.length, width);
    System.arraycopy(raw, raw.length - copy, bytes, width - copy, copy);
    IPAddress address =
        family == IpFamily.V4
            ? new inet.ipaddr.ipv4.IPv4Address(bytes)
            : new inet.ipaddr.ipv6.IPv6Address(bytes);
    return address.toCanonicalString();
  }

  @JsonValue
  @Override
  public String toString() {
    return cidr;
  }
}
