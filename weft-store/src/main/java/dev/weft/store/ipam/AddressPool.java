package dev.weft.store.ipam;

import dev.weft.model.IpamLink;
import dev.weft.model.NetworkIpam;
import dev.weft.model.ObjectType;
import dev.weft.model.Subnet;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.Stored;
import java.util.List;
import java.util.Optional;

/**
 * Where a virtual network's addresses are reserved, and the subnets they come from: a network with
 * subnets of its own reserves under its FQ name; a network on an IPAM's flat subnets (the default
 * and isolated pod networks share the pod IPAM) reserves under the IPAM's FQ name. Every allocator
 * (pods, floating IPs, service VIPs) must use this one rule, or two of them could hand out the same
 * address from different pools.
 */
public record AddressPool(String id, List<Subnet> subnets) {
  public AddressPool {
    subnets = List.copyOf(subnets);
  }

  /** The pool of {@code network}, or empty when it has no subnet at all. */
  public static Optional<AddressPool> of(VirtualNetwork network, ObjectCache cache) {
    if (!network.ownSubnets().isEmpty()) {
      return Optional.of(new AddressPool(network.fqName().toString(), network.ownSubnets()));
    }
    for (IpamLink link : network.networkIpamRefs()) {
      Optional<NetworkIpam> found =
          cache.<NetworkIpam>get(ObjectType.NETWORK_IPAM, link.ipam().uuid()).map(Stored::object);
      if (found.isPresent() && !found.get().subnets().isEmpty()) {
        NetworkIpam i = found.get();
        return Optional.of(
            new AddressPool(
                i.fqName().toString(),
                i.subnets().stream().map(p -> new Subnet(p, null)).toList()));
      }
    }
    return Optional.empty();
  }
}
