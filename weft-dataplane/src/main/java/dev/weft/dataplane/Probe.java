package dev.weft.dataplane;

import dev.weft.control.CompiledView;
import dev.weft.control.Compiler;
import dev.weft.control.Endpoint;
import dev.weft.model.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * A reachability matrix through the forwarding model: every source × every destination, each cell
 * the verdict for the first packet of a new flow. Rows are computed in parallel against one
 * consistent compiled state.
 */
public final class Probe {
  private Probe() {}

  /** A source: its name in the matrix and its interface (null: it has none, so reaches nothing). */
  public record Source(String name, UUID interfaceUuid) {}

  /** A destination: its name, its interface (null: none), and the port asked for. */
  public record Destination(
      String name, UUID interfaceUuid, String address, Protocol protocol, int port) {
    /** A pod's interface. */
    public Destination(String name, UUID interfaceUuid, Protocol protocol, int port) {
      this(name, interfaceUuid, null, protocol, port);
    }

    /** An address, such as a service VIP: every backend behind it is tried. */
    public static Destination address(String name, String address, Protocol protocol, int port) {
      return new Destination(name, null, address, protocol, port);
    }
  }

  /** {@code rows.get(i).charAt(j)} is {@code .} reachable, {@code X} not. */
  public record Matrix(List<String> sources, List<String> destinations, List<String> rows) {}

  public static final char REACHABLE = '.';
  public static final char UNREACHABLE = 'X';

  /** Some of the backends behind an address (a service) are reachable, not all. */
  public static final char PARTIAL = 'P';

  /** The first port of the dynamic range; each cell's source port is derived from it. */
  public static final int EPHEMERAL_FIRST = 49152;

  public static Matrix run(Compiler compiler, List<Source> sources, List<Destination> dests) {
    List<String> rows =
        compiler.read(
            view ->
                IntStream.range(0, sources.size())
                    .parallel()
                    .mapToObj(i -> row(view, i, sources.get(i), dests))
                    .toList());
    return new Matrix(
        sources.stream().map(Source::name).toList(),
        dests.stream()
            .map(d -> d.name() + ":" + d.port() + "/" + protocolName(d.protocol()))
            .toList(),
        rows);
  }

  /** Where outside traffic comes from in a probe: documentation addresses (RFC 5737, 3849). */
  public static final String EXTERNAL_V4 = "203.0.113.1";

  public static final String EXTERNAL_V6 = "2001:db8:ffff::1";

  /**
   * The row of a host outside the cluster: each destination pod is reached through any address the
   * gateway has a route for that leads to it (a floating IP of it in a network with route targets,
   * or its own address in such a network); a service through its address when exported.
   */
  public static Matrix runExternal(Compiler compiler, List<Destination> dests) {
    String row =
        compiler.read(
            view -> {
              Map<UUID, List<String>> exported = exportedAddresses(view);
              char[] cells = new char[dests.size()];
              for (int j = 0; j < cells.length; j++) {
                Destination d = dests.get(j);
                List<String> candidates =
                    d.address() != null
                        ? List.of(d.address())
                        : d.interfaceUuid() == null
                            ? List.of()
                            : exported.getOrDefault(d.interfaceUuid(), List.of());
                cells[j] = UNREACHABLE;
                for (String to : candidates) {
                  boolean v6 = to.indexOf(':') >= 0;
                  Verdict v =
                      ForwardingModel.fromGateway(
                          view,
                          d.protocol(),
                          v6 ? EXTERNAL_V6 : EXTERNAL_V4,
                          d.protocol() == Protocol.ICMP ? 0 : sourcePort(0, j),
                          to,
                          d.protocol() == Protocol.ICMP ? 0 : d.port(),
                          null);
                  if (v.delivered()
                      && (d.interfaceUuid() == null
                          || d.interfaceUuid().equals(v.destinationInterface()))) {
                    cells[j] = REACHABLE;
                    break;
                  }
                }
              }
              return new String(cells);
            });
    return new Matrix(
        List.of("external"),
        dests.stream()
            .map(d -> d.name() + ":" + d.port() + "/" + protocolName(d.protocol()))
            .toList(),
        List.of(row));
  }

  /** Per interface, the addresses of networks with route targets whose routes lead to it. */
  public static Map<UUID, List<String>> exportedAddresses(CompiledView view) {
    Map<UUID, List<String>> out = new java.util.HashMap<>();
    for (dev.weft.control.Vrf v : view.vrfs()) {
      if (v.routeTargets().isEmpty()) {
        continue;
      }
      for (dev.weft.control.Route r : v.routes()) {
        if (!r.origin().equals(v.network())) {
          continue;
        }
        String address = r.prefix().cidr().substring(0, r.prefix().cidr().indexOf('/'));
        List<dev.weft.control.NextHop.Interface> hops =
            r.nextHop() instanceof dev.weft.control.NextHop.Interface i
                ? List.of(i)
                : r.nextHop() instanceof dev.weft.control.NextHop.Ecmp e ? e.members() : List.of();
        for (dev.weft.control.NextHop.Interface h : hops) {
          out.computeIfAbsent(h.interfaceUuid(), k -> new ArrayList<>()).add(address);
        }
      }
    }
    out.values().forEach(l -> l.sort(null));
    return out;
  }

  public static String protocolName(Protocol p) {
    return p.name();
  }

  private static String row(CompiledView view, int i, Source s, List<Destination> dests) {
    char[] row = new char[dests.size()];
    Endpoint src = s.interfaceUuid() == null ? null : view.endpoint(s.interfaceUuid());
    for (int j = 0; j < row.length; j++) {
      Destination d = dests.get(j);
      row[j] =
          d.address() != null
              ? throughAddress(view, src, i, j, d)
              : reachable(view, src, i, j, d) ? REACHABLE : UNREACHABLE;
    }
    return new String(row);
  }

  /**
   * A cell for an address with backends behind it: the first packet tried towards each backend in
   * turn (as if the hash had picked it); {@code .} all delivered, {@code P} some, {@code X} none.
   */
  private static char throughAddress(CompiledView view, Endpoint src, int i, int j, Destination d) {
    if (src == null) {
      return UNREACHABLE;
    }
    Packet p = packetTo(src, d.address(), d.protocol(), d.port(), sourcePort(i, j));
    if (p == null) {
      return UNREACHABLE;
    }
    int hops = ForwardingModel.nextHops(view, p);
    if (hops <= 1) {
      return ForwardingModel.evaluate(view, p, null).delivered() ? REACHABLE : UNREACHABLE;
    }
    int delivered = 0;
    for (int k = 0; k < hops; k++) {
      if (ForwardingModel.evaluate(view, p, null, k).delivered()) {
        delivered++;
      }
    }
    return delivered == hops ? REACHABLE : delivered == 0 ? UNREACHABLE : PARTIAL;
  }

  private static boolean reachable(CompiledView view, Endpoint src, int i, int j, Destination d) {
    if (src == null || d.interfaceUuid() == null) {
      return false;
    }
    Endpoint dst = view.endpoint(d.interfaceUuid());
    if (dst == null) {
      return false;
    }
    Packet p = packet(src, dst, d.protocol(), d.port(), sourcePort(i, j));
    return p != null && ForwardingModel.evaluate(view, p, null).delivered();
  }

  /**
   * The first packet from {@code src} to {@code dst}: from the source's address of the first family
   * both have (IPv4 before IPv6). Null when they share no family.
   */
  public static Packet packet(Endpoint src, Endpoint dst, Protocol protocol, int port, int sport) {
    for (String to : dst.addresses()) {
      Packet p = packetTo(src, to, protocol, port, sport);
      if (p != null) {
        return p;
      }
    }
    return null;
  }

  /**
   * The first packet from {@code src} to address {@code to}: from the source's first address of
   * {@code to}'s family, ports 0 for ICMP. Null when the source has no address of that family.
   */
  public static Packet packetTo(Endpoint src, String to, Protocol protocol, int port, int sport) {
    boolean v6 = to.indexOf(':') >= 0;
    for (String from : src.addresses()) {
      if ((from.indexOf(':') >= 0) == v6) {
        boolean icmp = protocol == Protocol.ICMP;
        return new Packet(
            src.interfaceUuid(), protocol, from, icmp ? 0 : sport, to, icmp ? 0 : port);
      }
    }
    return null;
  }

  /** A source port per cell from the dynamic range, so ECMP spreads cells as real clients would. */
  static int sourcePort(int i, int j) {
    return EPHEMERAL_FIRST + Math.floorMod(i * 7919 + j * 104729, 16384);
  }
}
