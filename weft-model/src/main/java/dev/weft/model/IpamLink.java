package dev.weft.model;

import java.util.List;
import java.util.Objects;

/**
 * A virtual network's reference to an IPAM. With no subnets of its own the network allocates from
 * the IPAM's flat subnets; otherwise from these (user-defined subnets).
 */
public record IpamLink(Ref ipam, List<Subnet> subnets) {
  public IpamLink {
    Objects.requireNonNull(ipam, "ipam");
    subnets = Values.list(subnets);
  }
}
