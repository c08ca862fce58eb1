package dev.weft.control;

import dev.weft.model.Action;
import dev.weft.model.AddressMatch;
import dev.weft.model.FqName;
import dev.weft.model.PolicyRule;
import dev.weft.model.PortRange;
import dev.weft.model.Protocol;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One directed entry of a network's ACL, compiled from a rule of an attached network policy. A
 * {@code <>} rule gives two entries: the rule as written, and the rule {@code reversed} (source and
 * destination swapped, with their ports), as Contrail's agent does.
 *
 * @param rule the rule's position in its policy, from 1
 */
public record AclEntry(FqName policy, int rule, boolean reversed, PolicyRule written) {

  public Action action() {
    return written.action();
  }

  public Protocol protocol() {
    return written.protocol();
  }

  public AddressMatch source() {
    return reversed ? written.destination() : written.source();
  }

  public AddressMatch destination() {
    return reversed ? written.source() : written.destination();
  }

  public List<PortRange> sourcePorts() {
    return reversed ? written.destinationPorts() : written.sourcePorts();
  }

  public List<PortRange> destinationPorts() {
    return reversed ? written.sourcePorts() : written.destinationPorts();
  }

  /** Whether a packet from {@code sourceNetwork} to {@code destinationNetwork} matches. */
  public boolean matches(
      FqName sourceNetwork,
      String sourceAddress,
      FqName destinationNetwork,
      String destinationAddress,
      Protocol protocol,
      int sourcePort,
      int destinationPort) {
    Protocol p = protocol();
    if (p != Protocol.ANY && p != protocol) {
      return false;
    }
    if (!address(source(), sourceNetwork, sourceAddress)
        || !address(destination(), destinationNetwork, destinationAddress)) {
      return false;
    }
    if (protocol == Protocol.ICMP) {
      return true; // ICMP has no ports
    }
    return ports(sourcePorts(), sourcePort) && ports(destinationPorts(), destinationPort);
  }

  private static boolean address(AddressMatch match, FqName network, String address) {
    if (match.virtualNetwork() != null) {
      return match.virtualNetwork().equals(network);
    }
    if (match.subnet() != null) {
      return address != null && Cidr.contains(match.subnet(), address);
    }
    return true;
  }

  private static boolean ports(List<PortRange> ranges, int port) {
    for (PortRange r : ranges) {
      if (port >= r.start() && port <= r.end()) {
        return true;
      }
    }
    return false;
  }

  /** The rule as Contrail shows it: {@code pass tcp SRC ports > DST ports}. */
  public String describe() {
    PolicyRule r = written;
    return r.action().wire()
        + " "
        + r.protocol().wire()
        + " "
        + r.source()
        + " "
        + ports(r.sourcePorts())
        + " "
        + r.direction()
        + " "
        + r.destination()
        + " "
        + ports(r.destinationPorts());
  }

  private static String ports(List<PortRange> ranges) {
    if (ranges.size() == 1 && ranges.get(0).equals(PortRange.ANY)) {
      return "port any";
    }
    return "port "
        + ranges.stream()
            .map(p -> p.start() == p.end() ? "" + p.start() : p.start() + "-" + p.end())
            .collect(Collectors.joining(","));
  }

  @Override
  public String toString() {
    return policy + " rule " + rule + (reversed ? " (reverse)" : "") + ": " + describe();
  }
}
