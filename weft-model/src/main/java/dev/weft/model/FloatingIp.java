package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A floating IP from a pool, NATed to the interfaces it is associated with.
 *
 * <p>A floating IP maps either to interfaces (a pod's, as users associate them through the config
 * API) or to a load balancer (a LoadBalancer service's address, or one of its {@code externalIPs}):
 * then it forwards as the load balancer's VIP does, per listener to the ECMP group of ready
 * backends, translated to the backend's address and target port.
 *
 * @param fixedIpAddress the interface address to translate to; null means the interface's own
 * @param loadbalancer the load balancer it fronts, or null
 */
public record FloatingIp(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    String address,
    List<Ref> interfaces,
    String fixedIpAddress,
    Ref loadbalancer)
    implements ConfigObject {
  public FloatingIp {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    address = IpPrefix.canonicalAddress(address);
    interfaces = Values.list(interfaces);
    fixedIpAddress = fixedIpAddress == null ? null : IpPrefix.canonicalAddress(fixedIpAddress);
    if (loadbalancer != null && loadbalancer.type() != ObjectType.LOADBALANCER) {
      throw new IllegalArgumentException("a floating IP's loadbalancer must be a load balancer");
    }
  }

  /** A floating IP of interfaces only (what users associate with a pod). */
  public FloatingIp(
      UUID uuid,
      FqName fqName,
      Ref parent,
      Map<String, String> annotations,
      String address,
      List<Ref> interfaces,
      String fixedIpAddress) {
    this(uuid, fqName, parent, annotations, address, interfaces, fixedIpAddress, null);
  }

  @Override
  public ObjectType type() {
    return ObjectType.FLOATING_IP;
  }

  @Override
  public List<Ref> refs() {
    if (loadbalancer == null) {
      return interfaces;
    }
    List<Ref> out = new java.util.ArrayList<>(interfaces);
    out.add(loadbalancer);
    return List.copyOf(out);
  }
}
