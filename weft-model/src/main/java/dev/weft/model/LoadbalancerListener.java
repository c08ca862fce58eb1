package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/** A listener of a load balancer: one per service port and protocol. */
public record LoadbalancerListener(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    Ref loadbalancer,
    Protocol protocol,
    int port)
    implements ConfigObject {
  public LoadbalancerListener {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    Objects.requireNonNull(loadbalancer, "loadbalancer");
    Objects.requireNonNull(protocol, "protocol");
    PortRange.of(port);
  }

  @Override
  public ObjectType type() {
    return ObjectType.LOADBALANCER_LISTENER;
  }

  @Override
  public List<Ref> refs() {
    return List.of(loadbalancer);
  }
}
