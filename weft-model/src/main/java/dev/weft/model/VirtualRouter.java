package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A node's forwarding element (Contrail's vRouter): one per Kubernetes node, FQ name {@code
 * [default-global-system-config, NODE]}, with the node's underlay address that tunnels to its pods
 * end on.
 *
 * @param ipAddress the node's InternalIP, or null while the node reports none
 */
public record VirtualRouter(
    UUID uuid, FqName fqName, Ref parent, Map<String, String> annotations, String ipAddress)
    implements ConfigObject {
  public VirtualRouter {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    ipAddress = ipAddress == null ? null : IpPrefix.canonicalAddress(ipAddress);
  }

  @Override
  public ObjectType type() {
    return ObjectType.VIRTUAL_ROUTER;
  }

  @Override
  public List<Ref> refs() {
    return List.of();
  }
}
