package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An IP address manager. The pod and service IPAMs hold flat subnets shared by every network that
 * links to them without subnets of its own (the default and isolated pod networks share the pod
 * subnet, as in Contrail's flat-subnet mode).
 */
public record NetworkIpam(
    UUID uuid, FqName fqName, Ref parent, Map<String, String> annotations, List<IpPrefix> subnets)
    implements ConfigObject {
  public NetworkIpam {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    subnets = Values.list(subnets);
  }

  @Override
  public ObjectType type() {
    return ObjectType.NETWORK_IPAM;
  }

  @Override
  public List<Ref> refs() {
    return List.of();
  }
}
