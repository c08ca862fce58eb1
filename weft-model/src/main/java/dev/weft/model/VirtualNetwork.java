package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A virtual network: one routing instance (VRF), its subnets through IPAM links, route targets to
 * export it to gateways, and network policies that join it to other networks.
 */
public record VirtualNetwork(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    List<IpamLink> networkIpamRefs,
    List<String> routeTargets,
    List<PolicyLink> networkPolicyRefs)
    implements ConfigObject {
  public VirtualNetwork {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    networkIpamRefs = Values.list(networkIpamRefs);
    routeTargets = Values.list(routeTargets);
    for (String rt : routeTargets) {
      RouteTargets.requireValid(rt);
    }
    networkPolicyRefs = Values.list(networkPolicyRefs);
  }

  @Override
  public ObjectType type() {
    return ObjectType.VIRTUAL_NETWORK;
  }

  @Override
  public List<Ref> refs() {
    return Values.refs(
        networkIpamRefs.stream().map(IpamLink::ipam).toList(),
        networkPolicyRefs.stream().map(PolicyLink::policy).toList());
  }

  /** The user-defined subnets of this network, across its IPAM links. */
  public List<Subnet> ownSubnets() {
    return networkIpamRefs.stream().flatMap(l -> l.subnets().stream()).toList();
  }

  public VirtualNetwork withPolicies(List<PolicyLink> policies) {
    return new VirtualNetwork(
        uuid, fqName, parent, annotations, networkIpamRefs, routeTargets, policies);
  }
}
