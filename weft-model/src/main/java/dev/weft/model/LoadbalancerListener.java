package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A listener of a load balancer: one per service port and protocol.
 *
 * @param nodePort the port every node also listens on for it (a NodePort or LoadBalancer service's
 *     {@code nodePort}), or null
 */
public record LoadbalancerListener(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    Ref loadbalancer,
    Protocol protocol,
    int port,
    Integer nodePort)
    implements ConfigObject {
  public LoadbalancerListener {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    Objects.requireNonNull(loadbalancer, "loadbalancer");
    Objects.requireNonNull(protocol, "protocol");
    PortRange.of(port);
    if (nodePort != null) {
      if (nodePort == 0) {
        nodePort = null;
      } else {
        PortRange.of(nodePort);
      }
    }
  }

  /** A listener on the VIP alone. */
  public LoadbalancerListener(
      UUID uuid,
      FqName fqName,
      Ref parent,
      Map<String, String> annotations,
      Ref loadbalancer,
      Protocol protocol,
      int port) {
    this(uuid, fqName, parent, annotations, loadbalancer, protocol, port, null);
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
