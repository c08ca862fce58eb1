package dev.weft.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The reachability rules between pods, stated once more, as plainly as possible, for the property
 * test to check the forwarding model against. It shares no code with Weft: networks and policies
 * are named by {@code domain:project:name} strings, addresses are dotted IPv4 strings.
 *
 * <p>The rules: a pod reaches itself. Pods in one network pass that network's ACL. Pods in
 * different networks A and B need a policy attached to both whose {@code pass} rule names A and B
 * as its source and destination networks (either order), and then the packet passes A's ACL on the
 * way out and B's ACL on the way in. A network's ACL is the rules of its attached policies by
 * attachment sequence, then policy name, then rule order; a {@code <>} rule also matches the
 * reverse direction with source and destination (and their ports) swapped; the first match decides.
 * When no rule matches, traffic within the network passes; other traffic is denied when the network
 * has a policy attached, passed when it has none.
 */
final class ReferenceReachability {
  /** What a rule's source or destination matches: any (both null), a network, or a subnet. */
  record Match(String network, String subnet) {
    static final Match ANY = new Match(null, null);

    static Match network(String fq) {
      return new Match(fq, null);
    }

    static Match subnet(String cidr) {
      return new Match(null, cidr);
    }

    boolean matches(String endpointNetwork, String address) {
      if (network != null) {
        return network.equals(endpointNetwork);
      }
      if (subnet != null) {
        return inSubnet(address, subnet);
      }
      return true;
    }
  }

  /** An inclusive port range. */
  record Ports(int low, int high) {
    static final Ports ANY = new Ports(0, 65535);

    boolean contains(int port) {
      return port >= low && port <= high;
    }
  }

  /**
   * One rule of a network policy.
   *
   * @param protocol any, tcp, udp, sctp or icmp
   * @param sourcePorts empty means any, as does {@link Ports#ANY}
   */
  record Rule(
      boolean pass,
      boolean bothWays,
      String protocol,
      Match source,
      List<Ports> sourcePorts,
      Match destination,
      List<Ports> destinationPorts) {

    /** Whether the rule as written matches (no reversal). */
    boolean matchesOneWay(
        Packet p, Match from, List<Ports> fromPorts, Match to, List<Ports> toPorts) {
      if (!protocol.equals("any") && !protocol.equals(p.protocol())) {
        return false;
      }
      if (!from.matches(p.sourceNetwork(), p.sourceAddress())
          || !to.matches(p.destinationNetwork(), p.destinationAddress())) {
        return false;
      }
      return anyContains(fromPorts, p.sourcePort()) && anyContains(toPorts, p.destinationPort());
    }

    boolean matches(Packet p) {
      return matchesOneWay(p, source, sourcePorts, destination, destinationPorts)
          || (bothWays && matchesOneWay(p, destination, destinationPorts, source, sourcePorts));
    }

    boolean joins(String a, String b) {
      return pass
          && ((a.equals(source.network()) && b.equals(destination.network()))
              || (b.equals(source.network()) && a.equals(destination.network())));
    }

    private static boolean anyContains(List<Ports> ports, int port) {
      return ports.isEmpty() || ports.stream().anyMatch(r -> r.contains(port));
    }
  }

  /** The first packet of a flow between two pods. */
  record Packet(
      String protocol,
      String sourceNetwork,
      String sourceAddress,
      int sourcePort,
      String destinationNetwork,
      String destinationAddress,
      int destinationPort) {}

  /** A pod: {@code ns/name}, its network and its address. */
  record Pod(String key, String network, String address) {}

  private record Link(String policy, int sequence) {}

  private final Map<String, List<Rule>> policies = new TreeMap<>();
  private final Map<String, List<Link>> links = new TreeMap<>();

  /** Adds (or replaces) a policy's rules. */
  void policy(String fq, List<Rule> rules) {
    policies.put(fq, List.copyOf(rules));
  }

  /** Attaches {@code policy} to {@code network} with a sequence. */
  void attach(String network, String policy, int sequence) {
    links.computeIfAbsent(network, n -> new ArrayList<>()).add(new Link(policy, sequence));
  }

  private List<Link> linksOf(String network) {
    return links.getOrDefault(network, List.of());
  }

  /** Every rule of the network's ACL in evaluation order. */
  List<Rule> acl(String network) {
    List<Link> ordered = new ArrayList<>(linksOf(network));
    ordered.sort(Comparator.comparingInt(Link::sequence).thenComparing(Link::policy));
    List<Rule> out = new ArrayList<>();
    for (Link l : ordered) {
      out.addAll(policies.getOrDefault(l.policy(), List.of()));
    }
    return out;
  }

  boolean aclPasses(String network, Packet p) {
    for (Rule r : acl(network)) {
      if (r.matches(p)) {
        return r.pass();
      }
    }
    if (p.sourceNetwork().equals(network) && p.destinationNetwork().equals(network)) {
      return true;
    }
    return linksOf(network).isEmpty();
  }

  /** Whether some policy attached to both networks has a pass rule between them. */
  boolean joined(String a, String b) {
    for (Link la : linksOf(a)) {
      boolean alsoOnB = linksOf(b).stream().anyMatch(lb -> lb.policy().equals(la.policy()));
      if (!alsoOnB) {
        continue;
      }
      for (Rule r : policies.getOrDefault(la.policy(), List.of())) {
        if (r.joins(a, b)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Whether the first packet from {@code src} to {@code dst} on this protocol and ports arrives.
   */
  boolean reaches(Pod src, Pod dst, String protocol, int sourcePort, int destinationPort) {
    if (src.key().equals(dst.key())) {
      return true;
    }
    Packet p =
        new Packet(
            protocol,
            src.network(),
            src.address(),
            sourcePort,
            dst.network(),
            dst.address(),
            destinationPort);
    if (src.network().equals(dst.network())) {
      return aclPasses(src.network(), p);
    }
    return joined(src.network(), dst.network())
        && aclPasses(src.network(), p)
        && aclPasses(dst.network(), p);
  }

  static boolean inSubnet(String address, String cidr) {
    Objects.requireNonNull(address, "address");
    int slash = cidr.indexOf('/');
    int bits = Integer.parseInt(cidr.substring(slash + 1));
    long mask = bits == 0 ? 0 : (0xFFFFFFFFL << (32 - bits)) & 0xFFFFFFFFL;
    return (ipv4(address) & mask) == (ipv4(cidr.substring(0, slash)) & mask);
  }

  private static long ipv4(String dotted) {
    String[] parts = dotted.split("\\.");
    if (parts.length != 4) {
      throw new IllegalArgumentException("not an IPv4 address: " + dotted);
    }
    long v = 0;
    for (String p : parts) {
      v = (v << 8) | Integer.parseInt(p);
    }
    return v;
  }
}
