package dev.weft.control.policy;

import dev.weft.model.FirewallPort;
import dev.weft.model.IpBlock;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * One firewall policy as an agent renders it: the group it applies to, and per direction it
 * governs, its rules with each peer as a group (whose members {@link PolicyView#members} gives and
 * {@link PolicyDelta} patches) or an address block. A direction it does not govern has no rules
 * here, whatever the source object holds.
 *
 * @param name {@code namespace/name} of the Kubernetes NetworkPolicy, else the FQ name
 */
public record CompiledPolicy(
    UUID uuid,
    String name,
    GroupKey appliedTo,
    boolean ingress,
    boolean egress,
    List<Rule> ingressRules,
    List<Rule> egressRules) {
  public CompiledPolicy {
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(appliedTo, "appliedTo");
    ingressRules = List.copyOf(ingressRules);
    egressRules = List.copyOf(egressRules);
  }

  /** A rule: any of {@code peers} (none: any peer at all) on any of {@code ports} (none: all). */
  public record Rule(List<Peer> peers, List<FirewallPort> ports) {
    public Rule {
      peers = List.copyOf(peers);
      ports = List.copyOf(ports);
    }
  }

  /** A peer: a group of pods, or an address block; exactly one is non-null. */
  public record Peer(GroupKey group, IpBlock block) {
    public Peer {
      if ((group == null) == (block == null)) {
        throw new IllegalArgumentException("a peer is a group or an address block");
      }
    }
  }
}
