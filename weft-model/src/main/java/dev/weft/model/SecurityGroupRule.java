package dev.weft.model;

import java.util.Objects;

/**
 * A security-group rule: traffic in {@code direction} ({@code ingress} or {@code egress}) with
 * {@code protocol} and {@code ports} from or to {@code remotePrefix}.
 */
public record SecurityGroupRule(
    String direction, Protocol protocol, PortRange ports, IpPrefix remotePrefix) {
  public SecurityGroupRule {
    Objects.requireNonNull(direction, "direction");
    if (!direction.equals("ingress") && !direction.equals("egress")) {
      throw new IllegalArgumentException(
          "direction \"" + direction + "\" is not ingress or egress");
    }
    protocol = protocol == null ? Protocol.ANY : protocol;
    ports = ports == null ? PortRange.ANY : ports;
  }
}
