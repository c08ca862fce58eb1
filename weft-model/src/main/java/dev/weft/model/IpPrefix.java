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

  public IpFamily family() {
    return block().isIPv4() ? IpFamily.V4 : IpFamily.V6;
  }

  public int length() {
    return block().getNetworkPrefixLength();
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
    return parseAddress(text).toCanonicalString();
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
