package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * An address given to interfaces in a virtual network.
 *
 * @param subnet the subnet the address was allocated from
 * @param pool the IPAM pool (store key component) that holds the address reservation
 * @param serviceIp true for a service VIP shared by several interfaces (ECMP)
 */
public record InstanceIp(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    String address,
    IpFamily family,
    IpPrefix subnet,
    String gateway,
    String pool,
    Ref virtualNetwork,
    List<Ref> interfaces,
    boolean serviceIp)
    implements ConfigObject {
  public InstanceIp {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    address = IpPrefix.canonicalAddress(address);
    Objects.requireNonNull(subnet, "subnet");
    Objects.requireNonNull(virtualNetwork, "virtual_network");
    Objects.requireNonNull(pool, "pool");
    family = subnet.family();
    if (!subnet.contains(address)) {
      throw new IllegalArgumentException("address " + address + " is outside subnet " + subnet);
    }
    interfaces = Values.list(interfaces);
  }

  @Override
  public ObjectType type() {
    return ObjectType.INSTANCE_IP;
  }

  @Override
  public List<Ref> refs() {
    return Values.refs(virtualNetwork, interfaces);
  }
}
