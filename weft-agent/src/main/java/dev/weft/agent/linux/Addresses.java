package dev.weft.agent.linux;

import dev.weft.model.IpPrefix;
import java.math.BigInteger;

/** Address and prefix helpers in the forms the kernel prints and nftables reads. */
final class Addresses {
  private Addresses() {}

  static boolean isV6(String address) {
    return address.indexOf(':') >= 0;
  }

  static int family(String addressOrPrefix) {
    return isV6(addressOrPrefix) ? 6 : 4;
  }

  /** {@code a} in canonical text: dotted quad, or IPv6 compressed. */
  static String canonical(String a) {
    return IpPrefix.canonicalAddress(a);
  }

  /** The host prefix of {@code address}: {@code /32} or {@code /128}. */
  static String host(String address) {
    return canonical(address) + (isV6(address) ? "/128" : "/32");
  }

  /** {@code p} as canonical CIDR: network address, then length. */
  static String prefix(IpPrefix p) {
    return p.cidr(); // held canonical: network address, then length
  }

  /** {@code text} ({@code default}, an address, or CIDR) as canonical CIDR of {@code family}. */
  static String prefix(String text, int family) {
    if (text.equals("default")) {
      return family == 6 ? "::/0" : "0.0.0.0/0";
    }
    if (text.indexOf('/') < 0) {
      return host(text);
    }
    return prefix(IpPrefix.parse(text));
  }

  static BigInteger lower(IpPrefix p) {
    return p.block().getLower().getValue();
  }

  static BigInteger upper(IpPrefix p) {
    return p.block().getUpper().getValue();
  }

  /** The largest address of a family, as a number. */
  static BigInteger max(int family) {
    return BigInteger.ONE.shiftLeft(family == 6 ? 128 : 32).subtract(BigInteger.ONE);
  }
}
