package dev.weft.model;

import java.util.List;
import java.util.Objects;

/**
 * A rule of a network policy between networks, Contrail style: {@code src srcPorts DIRECTION dst
 * dstPorts}, direction {@code >} (one way) or {@code <>} (both ways).
 */
public record PolicyRule(
    Action action,
    String direction,
    Protocol protocol,
    AddressMatch source,
    List<PortRange> sourcePorts,
    AddressMatch destination,
    List<PortRange> destinationPorts) {
  public PolicyRule {
    Objects.requireNonNull(action, "action");
    direction = direction == null ? "<>" : direction.trim();
    if (!direction.equals(">") && !direction.equals("<>")) {
      throw new IllegalArgumentException("direction \"" + direction + "\" is not > or <>");
    }
    protocol = protocol == null ? Protocol.ANY : protocol;
    source = source == null ? AddressMatch.ANY : source;
    destination = destination == null ? AddressMatch.ANY : destination;
    sourcePorts =
        sourcePorts == null || sourcePorts.isEmpty()
            ? List.of(PortRange.ANY)
            : List.copyOf(sourcePorts);
    destinationPorts =
        destinationPorts == null || destinationPorts.isEmpty()
            ? List.of(PortRange.ANY)
            : List.copyOf(destinationPorts);
  }

  /** A rule passing everything both ways between two networks. */
  public static PolicyRule passBetween(FqName a, FqName b) {
    return new PolicyRule(
        Action.PASS,
        "<>",
        Protocol.ANY,
        AddressMatch.network(a),
        null,
        AddressMatch.network(b),
        null);
  }
}
