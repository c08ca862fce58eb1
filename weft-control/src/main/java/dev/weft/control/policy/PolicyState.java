package dev.weft.control.policy;

import dev.weft.control.Cidr;
import dev.weft.model.ContainerPort;
import dev.weft.model.FirewallPeer;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.FirewallPort;
import dev.weft.model.FirewallRule;
import dev.weft.model.IpBlock;
import dev.weft.model.IpPrefix;
import dev.weft.model.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One firewall policy compiled against the engine's groups: the applied-to group, and per direction
 * it governs the rules with their peers resolved to groups and address blocks and their ports
 * flattened. Immutable: an update compiles a new one, so a reader judging a packet never sees a
 * policy half changed.
 */
final class PolicyState {
  final UUID uuid;

  /** {@code namespace/name} of the Kubernetes NetworkPolicy, else the FQ name. */
  final String name;

  final FirewallPolicy source;
  final PodGroup appliedTo;
  final boolean ingress;
  final boolean egress;
  final Rule[] ingressRules;
  final Rule[] egressRules;

  PolicyState(
      FirewallPolicy source,
      String name,
      PodGroup appliedTo,
      Rule[] ingressRules,
      Rule[] egressRules) {
    this.uuid = source.uuid();
    this.name = name;
    this.source = source;
    this.appliedTo = appliedTo;
    this.ingress = source.ingress();
    this.egress = source.egress();
    this.ingressRules = ingressRules;
    this.egressRules = egressRules;
  }

  /** Every group it holds a reference to: applied-to first, then each peer group. */
  List<PodGroup> groups() {
    List<PodGroup> out = new ArrayList<>();
    out.add(appliedTo);
    for (Rule[] rules : new Rule[][] {ingressRules, egressRules}) {
      for (Rule r : rules) {
        for (Peer p : r.peers) {
          if (p.group != null) {
            out.add(p.group);
          }
        }
      }
    }
    return out;
  }

  /** One rule: any of its peers, on any of its ports (none given: any peer, any port). */
  static final class Rule {
    final FirewallRule source;
    final Peer[] peers;
    final Port[] ports;

    Rule(FirewallRule source, Peer[] peers, Port[] ports) {
      this.source = source;
      this.peers = peers;
      this.ports = ports;
    }

    /**
     * Whether it allows traffic with {@code peer} (null: not a pod) at {@code peerAddress}, on
     * {@code protocol}/{@code port} of {@code destination} (null: not a pod; named ports resolve on
     * it, so they match nothing then).
     */
    boolean allows(Pod peer, String peerAddress, Protocol protocol, int port, Pod destination) {
      return peerIndex(peer, peerAddress) >= 0 && portIndex(protocol, port, destination) >= 0;
    }

    /** The index of the first peer that matches, {@code Integer.MAX_VALUE} for any, or -1. */
    int peerIndex(Pod peer, String peerAddress) {
      if (peers.length == 0) {
        return Integer.MAX_VALUE;
      }
      for (int i = 0; i < peers.length; i++) {
        if (peers[i].matches(peer, peerAddress)) {
          return i;
        }
      }
      return -1;
    }

    /** The index of the first port that matches, {@code Integer.MAX_VALUE} for any, or -1. */
    int portIndex(Protocol protocol, int port, Pod destination) {
      if (ports.length == 0) {
        return Integer.MAX_VALUE;
      }
      ContainerPort[] declared = destination == null ? null : destination.ports;
      for (int i = 0; i < ports.length; i++) {
        if (ports[i].matches(protocol, port, declared)) {
          return i;
        }
      }
      return -1;
    }
  }

  /** A peer: pods of a group, or addresses of a block. */
  static final class Peer {
    final FirewallPeer source;
    final PodGroup group;
    final AddressBlock block;

    Peer(FirewallPeer source, PodGroup group, AddressBlock block) {
      this.source = source;
      this.group = group;
      this.block = block;
    }

    boolean matches(Pod pod, String address) {
      if (group != null) {
        return pod != null && group.members.contains(pod);
      }
      return address != null && block.contains(address);
    }
  }

  /**
   * An ipBlock, parsed once: its cidr less its excepts. An except of the other family, or outside
   * the cidr, excludes nothing, as {@link IpBlock#contains} has it.
   */
  static final class AddressBlock {
    private final Cidr cidr;
    private final Cidr[] except;

    AddressBlock(IpBlock block) {
      this.cidr = Cidr.of(block.cidr());
      List<Cidr> out = new ArrayList<>();
      for (IpPrefix e : block.except()) {
        Cidr c = Cidr.of(e);
        if (c.isV6() == cidr.isV6()) {
          out.add(c);
        }
      }
      this.except = out.toArray(Cidr[]::new);
    }

    boolean contains(String address) {
      if (!cidr.contains(address)) {
        return false;
      }
      for (Cidr e : except) {
        if (e.contains(address)) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * A port of a rule: {@link FirewallPort#matches}, flattened. A named port matches a destination
   * declaring a container port of that name, protocol and number; with no destination pod (an
   * address outside the cluster) it matches nothing, as upstream defines.
   */
  static final class Port {
    final FirewallPort source;
    private final Protocol protocol;
    private final String name;
    private final int first;
    private final int last;

    Port(FirewallPort source) {
      this.source = source;
      this.protocol = source.protocol();
      this.name = source.name();
      this.first = source.port() == null ? 0 : source.port();
      this.last =
          source.port() == null
              ? Integer.MAX_VALUE
              : source.endPort() == null ? source.port() : source.endPort();
    }

    boolean matches(Protocol p, int port, ContainerPort[] declared) {
      if (!protocol.matches(p)) {
        return false;
      }
      if (name != null) {
        if (declared == null) {
          return false;
        }
        for (ContainerPort c : declared) {
          if (c.port() == port && c.protocol() == p && c.name().equals(name)) {
            return true;
          }
        }
        return false;
      }
      return port >= first && port <= last;
    }
  }
}
