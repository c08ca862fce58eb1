package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A backend of a pool: address and port (the service's targetPort), child of the pool. */
public record LoadbalancerMember(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    String address,
    int port,
    Ref virtualMachineInterface)
    implements ConfigObject {
  public LoadbalancerMember {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    address = IpPrefix.canonicalAddress(address);
    PortRange.of(port);
  }

  @Override
  public ObjectType type() {
    return ObjectType.LOADBALANCER_MEMBER;
  }

  @Override
  public List<Ref> refs() {
    return virtualMachineInterface == null ? List.of() : List.of(virtualMachineInterface);
  }
}
