package dev.weft.model;

import java.util.Objects;

/**
 * A subnet of a virtual network with its gateway. The gateway is the first address when not given;
 * the network address, the gateway and (IPv4) the broadcast address are never handed out.
 */
public record Subnet(IpPrefix prefix, String gateway) {
  public Subnet {
    Objects.requireNonNull(prefix, "prefix");
    if (prefix.size().compareTo(java.math.BigInteger.valueOf(4)) < 0) {
      throw new IllegalArgumentException(
          "subnet " + prefix + " is too small: it needs room for a gateway and an address");
    }
    if (gateway == null || gateway.isBlank()) {
      gateway = prefix.addressAt(java.math.BigInteger.ONE);
    } else {
      gateway = IpPrefix.canonicalAddress(gateway);
      if (!prefix.contains(gateway)) {
        throw new IllegalArgumentException("gateway " + gateway + " is outside subnet " + prefix);
      }
    }
  }

  public static Subnet of(String cidr) {
    return new Subnet(IpPrefix.parse(cidr), null);
  }
}
