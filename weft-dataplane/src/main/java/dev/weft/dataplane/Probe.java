package dev.weft.dataplane;

import dev.weft.control.CompiledView;
import dev.weft.control.Compiler;
import dev.weft.control.Endpoint;
import dev.weft.control.Gateway;
import dev.weft.control.NextHop;
import dev.weft.control.Route;
import dev.weft.control.Vrf;
import dev.weft.model.Protocol;
import java.util.ArrayList;
import java.util.HashMap;
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

  /**
   * A destination: its name, and the port asked for; then a pod's interface, or an address (every
   * backend behind it is tried), or a service (its cluster IP from pods; from outside, every way
   * into it: the floating IPs fronting its load balancer and its node ports).
   *
   * @param interfaceUuid a pod's interface, or null
   * @param address the address to send to (a service's cluster IP), or null
   * @param service the service's load balancer UUID (its Kubernetes UID), or null
   */
  public record Destination(
      String name, UUID interfaceUuid, String address, Protocol protocol, int port, UUID service) {
    public Destination(
        String name, UUID interfaceUuid, String address, Protocol protocol, int port) {
      this(name, interfaceUuid, address, protocol, port, null);
    }

    /** A pod's interface. */
    public Destination(String name, UUID interfaceUuid, Protocol protocol, int port) {
      this(name, interfaceUuid, null, protocol, port, null);
    }

    /** An address, such as a service VIP: every backend behind it is tried. */
    public static Destination address(String name, String address, Protocol protocol, int port) {
      return new Destination(name, null, address, protocol, port, null);
    }

    /**
     * A service: from pods, through {@code clusterIp} (as {@link #address}); from outside, through
     * every external way into the load balancer {@code uid} on that service port.
     *
     * @param uid the service's UID, its load balancer's UUID; null: the service is known by its
     *     cluster IP only, and unreachable from outside
     */
    public static Destination service(
        String name, UUID uid, String clusterIp, Protocol protocol, int port) {
      return new Destination(name, null, clusterIp, protocol, port, uid);
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

  /**
   * Where outside traffic comes from in a probe: the outside host ({@link Gateway#CLIENT4}, an
   * address that looks like the internet, not the gateway router's own on the underlay), which is
   * where the lab's real connections come from too.
   */
  public static final String EXTERNAL_V4 = Gateway.CLIENT4;

  /** Where outside IPv6 traffic comes from in a probe ({@link Gateway#CLIENT6}). */
  public static final String EXTERNAL_V6 = Gateway.CLIENT6;

  /**
   * The row of a host outside the cluster: each destination pod is reached through any address the
   * gateway has a route for that leads to it (a floating IP of it in a network with route targets,
   * or its own address in such a network); a service through each of its {@link #externalWays}:
   * {@code .} when every ready backend of that service port is reached through at least one of
   * them, {@code P} some, {@code X} none (or no ready backend, or no way in). A destination given
   * by address alone is tried at that address.
   */
  public static Matrix runExternal(Compiler compiler, List<Destination> dests) {
    String row =
        compiler.read(
            view -> {
              Map<UUID, List<String>> exported = exportedAddresses(view);
              char[] cells = new char[dests.size()];
              for (int j = 0; j < cells.length; j++) {
                Destination d = dests.get(j);
                if (d.service() != null) {
                  cells[j] = serviceFromOutside(view, j, d);
                  continue;
                }
                List<String> candidates =
                    d.address() != null
                        ? List.of(d.address())
                        : d.interfaceUuid() == null
                            ? List.of()
                            : exported.getOrDefault(d.interfaceUuid(), List.of());
                cells[j] = UNREACHABLE;
                for (String to : candidates) {
                  Verdict v =
                      ForwardingModel.fromGateway(
                          view,
                          d.protocol(),
                          externalSource(to),
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

  /** The probe's outside host of {@code destination}'s family. */
  public static String externalSource(String destination) {
    return Gateway.source(destination);
  }

  /**
   * One way from outside into a service: an address and port the gateway is sent to.
   *
   * @param node the node whose address it is (a node port), or null (a floating IP)
   */
  public record Way(String address, int port, String node) {
    /** {@code floating IP 203.0.113.10:80}, {@code node port 30080 of node-1 (10.64.0.11)}. */
    public String describe() {
      return node == null
          ? "floating IP " + address + ":" + port
          : "node port " + port + " of " + node + " (" + address + ")";
    }
  }

  /**
   * Every way from outside into service port {@code protocol}/{@code port} of {@code service}: each
   * floating IP fronting it at the service port (in address order), then each node's address at the
   * listener's node port (in node name order). Empty when it has none, or no such listener. Whether
   * a way actually delivers is for {@link ForwardingModel#fromGateway} to say (a floating IP's
   * network needs route targets, for one).
   */
  public static List<Way> externalWays(
      CompiledView view, NextHop.Service service, Protocol protocol, int port) {
    NextHop.ServicePort sp = new NextHop.ServicePort(protocol, port);
    if (!service.listeners().containsKey(sp)) {
      return List.of();
    }
    List<Way> out = new ArrayList<>();
    for (String fip : view.floatingIps(service.loadbalancerUuid())) {
      out.add(new Way(fip, port, null));
    }
    int nodePort = service.nodePort(sp);
    if (nodePort > 0) {
      for (Map.Entry<String, String> n : view.nodeAddresses().entrySet()) {
        out.add(new Way(n.getValue(), nodePort, n.getKey()));
      }
    }
    return out;
  }

  /**
   * A service's cell from outside: each ready backend of the service port is tried through each way
   * in turn (as if the hash had picked it there) until one delivers the packet to it; the way must
   * lead to this service's backend, not to whatever else claims the address or node port.
   */
  private static char serviceFromOutside(CompiledView view, int j, Destination d) {
    NextHop.Service service = view.service(d.service());
    List<NextHop.Interface> backends =
        service == null ? null : service.backends(d.protocol(), d.port());
    if (backends == null || backends.isEmpty()) {
      return UNREACHABLE;
    }
    List<Way> ways = externalWays(view, service, d.protocol(), d.port());
    int sport = d.protocol() == Protocol.ICMP ? 0 : sourcePort(0, j);
    int reached = 0;
    for (int k = 0; k < backends.size(); k++) {
      NextHop.Interface backend = backends.get(k);
      for (Way w : ways) {
        Verdict v =
            ForwardingModel.fromGateway(
                view,
                d.protocol(),
                externalSource(w.address()),
                sport,
                w.address(),
                d.protocol() == Protocol.ICMP ? 0 : w.port(),
                null,
                k);
        if (v.delivered()
            && backend.interfaceUuid().equals(v.destinationInterface())
            && v.deliveredPort() == backend.translatePort()) {
          reached++;
          break;
        }
      }
    }
    return reached == backends.size() ? REACHABLE : reached == 0 ? UNREACHABLE : PARTIAL;
  }

  /** Per interface, the addresses of networks with route targets whose routes lead to it. */
  public static Map<UUID, List<String>> exportedAddresses(CompiledView view) {
    Map<UUID, List<String>> out = new HashMap<>();
    for (Vrf v : view.vrfs()) {
      if (v.routeTargets().isEmpty()) {
        continue;
      }
      for (Route r : v.routes()) {
        if (!r.origin().equals(v.network())) {
          continue;
        }
        String address = r.prefix().cidr().substring(0, r.prefix().cidr().indexOf('/'));
        List<NextHop.Interface> hops =
            r.nextHop() instanceof NextHop.Interface i
                ? List.of(i)
                : r.nextHop() instanceof NextHop.Ecmp e ? e.members() : List.of();
        for (NextHop.Interface h : hops) {
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
