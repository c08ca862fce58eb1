package dev.weft.model;

import java.util.List;

/**
 * One ingress or egress rule of a firewall policy: traffic to (egress) or from (ingress) any of
 * {@code peers} on any of {@code ports} is allowed. No peers means any peer, inside the cluster or
 * not; no ports means every port.
 */
public record FirewallRule(List<FirewallPeer> peers, List<FirewallPort> ports) {
  public FirewallRule {
    peers = Values.list(peers);
    ports = Values.list(ports);
  }
}
