package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A pool of floating IPs on a virtual network, FQ name {@code domain:project:network:pool}.
 * Addresses come from the network's subnets, or only from {@code subnets} when given.
 */
public record FloatingIpPool(
    UUID uuid, FqName fqName, Ref parent, Map<String, String> annotations, List<IpPrefix> subnets)
    implements ConfigObject {
  public FloatingIpPool {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    subnets = Values.list(subnets);
    if (parent == null || parent.type() != ObjectType.VIRTUAL_NETWORK) {
      throw new IllegalArgumentException("a floating-IP pool's parent must be a virtual network");
    }
  }

  @Override
  public ObjectType type() {
    return ObjectType.FLOATING_IP_POOL;
  }

  @Override
  public List<Ref> refs() {
    return List.of();
  }
}
