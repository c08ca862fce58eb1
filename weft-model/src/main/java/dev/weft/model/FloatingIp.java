package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A floating IP from a pool, NATed to the interfaces it is associated with.
 *
 * @param fixedIpAddress the interface address to translate to; null means the interface's own
 */
public record FloatingIp(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    String address,
    List<Ref> interfaces,
    String fixedIpAddress)
    implements ConfigObject {
  public FloatingIp {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    address = IpPrefix.canonicalAddress(address);
    interfaces = Values.list(interfaces);
    fixedIpAddress = fixedIpAddress == null ? null : IpPrefix.canonicalAddress(fixedIpAddress);
  }

  @Override
  public ObjectType type() {
    return ObjectType.FLOATING_IP;
  }

  @Override
  public List<Ref> refs() {
    return interfaces;
  }
}
