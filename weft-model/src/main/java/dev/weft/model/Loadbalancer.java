package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A load balancer: ECMP-native for services ({@code provider=native}), HAProxy for ingresses. UUID
 * = the Kubernetes object's UID.
 */
public record Loadbalancer(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    String provider,
    String vipAddress,
    Ref vipNetwork,
    List<Ref> vipInstanceIps)
    implements ConfigObject {
  public Loadbalancer {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    provider = provider == null ? "native" : provider;
    vipAddress = vipAddress == null ? null : IpPrefix.canonicalAddress(vipAddress);
    vipInstanceIps = Values.list(vipInstanceIps);
  }

  @Override
  public ObjectType type() {
    return ObjectType.LOADBALANCER;
  }

  @Override
  public List<Ref> refs() {
    return Values.refs(vipNetwork, vipInstanceIps);
  }
}
