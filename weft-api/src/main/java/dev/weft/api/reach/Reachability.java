package dev.weft.api.reach;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.api.KubernetesGateway;
import dev.weft.api.config.ApiException;
import dev.weft.control.CompiledView;
import dev.weft.control.Compiler;
import dev.weft.control.Endpoint;
import dev.weft.control.NextHop;
import dev.weft.dataplane.Dataplane;
import dev.weft.dataplane.ForwardingModel;
import dev.weft.dataplane.Packet;
import dev.weft.dataplane.Probe;
import dev.weft.dataplane.Step;
import dev.weft.dataplane.Verdict;
import dev.weft.model.IpPrefix;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code probe} and {@code trace}: pods from Kubernetes, the convergence barrier, then the
 * forwarding model over the compiled state.
 *
 * <p>The pods are listed before the barrier, so every pod that existed when the call came in has
 * been processed by the time the matrix is computed.
 */
public final class Reachability {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The source port of a traced packet: the first of the dynamic range, as a client would use. */
  private static final int TRACE_SOURCE_PORT = 49152;

  /** The interface of a packet from outside: none (only its 5-tuple is shown). */
  private static final UUID OUTSIDE = new UUID(0, 0);

  private final Compiler compiler;
  private final ForwardingModel model;
  private final KubernetesGateway gateway;
  private final Convergence convergence;

  public Reachability(Compiler compiler, KubernetesGateway gateway, Convergence convergence) {
    this.compiler = compiler;
    this.model = new ForwardingModel(compiler);
    this.gateway = gateway;
    this.convergence = convergence;
  }

  public Compiler compiler() {
    return compiler;
  }

  /**
   * What a probe asks: {@code from} pods|external, {@code to} pods|services, ports (may be empty).
   */
  public record ProbeRequest(
      String from, String to, List<PortSpec> ports, Duration timeout, boolean real) {
    /** Through the forwarding model. */
    public ProbeRequest(String from, String to, List<PortSpec> ports, Duration timeout) {
      this(from, to, ports, timeout, false);
    }
  }

  private volatile RealProbe realProbe;

  /**
   * Serves {@code probe} with {@code real} set through {@code probe} (the lab); until then such a
   * probe is refused.
   */
  public Reachability withRealProbe(RealProbe probe) {
    this.realProbe = probe;
    return this;
  }

  public ObjectNode probe(ProbeRequest req) throws InterruptedException {
    RealProbe real = req.real() ? realProbe : null;
    if (req.real()) {
      if (real == null) {
        throw ApiException.badRequest(
            "--real measures with real connections between the pods of the lab, and this Weft"
                + " runs none: start it with weft up --lab (root, iproute2, nftables); without"
                + " --real the matrix comes from the forwarding model");
      }
      for (PortSpec p : req.ports()) {
        String why = real.unsupported(p.protocol());
        if (why != null) {
          throw ApiException.badRequest("--real cannot measure " + p + ": " + why);
        }
      }
    }
    long started = System.nanoTime();
    List<PodTargets.Pod> pods = PodTargets.of(requireGateway().list("pods", null));
    List<ServiceTargets.Service> services =
        req.to().equals("services")
            ? ServiceTargets.of(requireGateway().list("services", null))
            : List.of();
    ObjectNode waited = converge(req.timeout());
    Map<String, UUID> interfaces = interfacesByPod();
    List<Probe.Source> sources = new ArrayList<>();
    List<Probe.Destination> dests = new ArrayList<>();
    for (PodTargets.Pod p : pods) {
      UUID iface = interfaces.get(p.key());
      sources.add(new Probe.Source(p.key(), iface));
      if (req.to().equals("pods")) {
        for (PortSpec port : req.ports().isEmpty() ? p.declaredPorts() : req.ports()) {
          dests.add(new Probe.Destination(p.key(), iface, port.protocol(), port.port()));
        }
      }
    }
    for (ServiceTargets.Service svc : services) {
      for (PortSpec port : req.ports().isEmpty() ? svc.ports() : req.ports()) {
        dests.add(
            Probe.Destination.service(
                svc.key(), svc.uid(), svc.clusterIp(), port.protocol(), port.port()));
      }
    }
    List<String> excluded = new ArrayList<>();
    if (real != null) {
      // Declared ports the lab cannot measure are left out, and said so; asked ones were refused.
      List<Probe.Destination> measurable = new ArrayList<>();
      for (Probe.Destination d : dests) {
        String why = real.unsupported(d.protocol());
        if (why == null) {
          measurable.add(d);
        } else {
          excluded.add(
              d.name()
                  + ":"
                  + d.port()
                  + "/"
                  + Probe.protocolName(d.protocol())
                  + " ("
                  + why
                  + ")");
        }
      }
      dests = measurable;
    }
    Probe.Matrix m;
    if (real != null) {
      Duration left = req.timeout().minusNanos(System.nanoTime() - started);
      m =
          real.measure(
              req.from().equals("external"),
              sources,
              dests,
              waited.path("compiledRevision").asLong(),
              left.isNegative() ? Duration.ZERO : left);
    } else {
      m =
          req.from().equals("external")
              ? Probe.runExternal(compiler, dests)
              : Probe.run(compiler, sources, dests);
    }
    ObjectNode out = JSON.createObjectNode();
    m.sources().forEach(out.putArray("sources")::add);
    m.destinations().forEach(out.putArray("destinations")::add);
    m.rows().forEach(out.putArray("matrix")::add);
    if (real != null) {
      out.put("real", true);
      excluded.forEach(out.putArray("excluded")::add);
    }
    out.set("convergence", waited);
    return out;
  }

  /**
   * The path of one packet from pod {@code source} to pod or address {@code destination}, and of
   * its reply when it is delivered.
   *
   * @param port null: the destination pod's first declared port
   */
  public ObjectNode trace(String source, String destination, PortSpec port, Duration timeout)
      throws InterruptedException {
    String serviceKey = serviceKey(destination);
    if (source.trim().equals("external")) {
      return serviceKey != null
          ? traceServiceFromOutside(serviceKey, port, timeout)
          : traceFromOutside(destination, port, timeout);
    }
    String srcKey = podKey(source);
    if (serviceKey != null) {
      ServiceTargets.Service svc = requireService(serviceKey);
      if (port == null && !svc.ports().isEmpty()) {
        port = svc.ports().get(0);
      }
      ObjectNode out = trace(source, svc.clusterIp(), port, timeout);
      out.put("destination", "service/" + serviceKey + " (VIP " + svc.clusterIp() + ")");
      return out;
    }
    boolean toAddress = isAddress(destination);
    String dstKey = toAddress ? null : podKey(destination);
    List<PodTargets.Pod> pods = PodTargets.of(requireGateway().list("pods", null));
    PortSpec p = port;
    if (p == null) {
      PodTargets.Pod dst =
          dstKey == null
              ? null
              : pods.stream().filter(x -> x.key().equals(dstKey)).findFirst().orElse(null);
      if (dst == null || dst.declaredPorts().isEmpty()) {
        throw ApiException.badRequest(
            "give --port (such as 80/TCP): " + destination + " declares no container port");
      }
      p = dst.declaredPorts().get(0);
    }
    PortSpec asked = p;
    ObjectNode waited = converge(timeout);
    Map<String, UUID> interfaces = interfacesByPod();
    UUID srcIface = requireInterface(interfaces, srcKey, pods);
    UUID dstIface = dstKey == null ? null : requireInterface(interfaces, dstKey, pods);
    Packet packet =
        compiler.read(
            view -> {
              Endpoint s = view.endpoint(srcIface);
              if (s == null || s.addresses().isEmpty()) {
                throw ApiException.conflict(srcKey + " has no address yet");
              }
              if (dstIface == null) {
                String to = IpPrefix.canonicalAddress(destination);
                Packet pk =
                    Probe.packetTo(s, to, asked.protocol(), asked.port(), TRACE_SOURCE_PORT);
                if (pk == null) {
                  throw ApiException.badRequest(srcKey + " has no address of the family of " + to);
                }
                return pk;
              }
              Endpoint d = view.endpoint(dstIface);
              Packet pk =
                  d == null
                      ? null
                      : Probe.packet(s, d, asked.protocol(), asked.port(), TRACE_SOURCE_PORT);
              if (pk == null) {
                throw ApiException.conflict(
                    srcKey + " and " + dstKey + " have no address family in common");
              }
              return pk;
            });
    ObjectNode out = JSON.createObjectNode();
    out.put("source", srcKey);
    out.put("destination", dstKey == null ? destination : dstKey);
    out.put("port", asked.toString());
    out.put("packet", packet.describe());
    try (Dataplane.Session session = model.open()) {
      Verdict v = session.send(packet);
      verdict(out, v);
      if (v.delivered() && !v.destinationInterface().equals(srcIface)) {
        Packet back = packet.reply(v.destinationInterface());
        if (v.deliveredAs() != null) {
          // The pod answers from its own address and port, not the floating IP's or VIP's.
          back =
              new Packet(
                  back.sourceInterface(),
                  back.protocol(),
                  v.deliveredAs(),
                  v.deliveredPort() > 0 ? v.deliveredPort() : back.sourcePort(),
                  back.destination(),
                  back.destinationPort());
        }
        Verdict reply = session.send(back);
        ObjectNode r = out.putObject("reply");
        r.put("packet", back.describe());
        verdict(r, reply);
      }
    }
    out.set("convergence", waited);
    return out;
  }

  private ServiceTargets.Service requireService(String serviceKey) {
    return ServiceTargets.of(requireGateway().list("services", null)).stream()
        .filter(x -> x.key().equals(serviceKey))
        .findFirst()
        .orElseThrow(
            () ->
                ApiException.notFound(
                    "no service "
                        + serviceKey
                        + " with a cluster IP (headless and ExternalName services have"
                        + " none)"));
  }

  /**
   * A packet from a host outside the cluster to a service: through the first way into it (its
   * floating IPs first, in address order, then each node's address at the listener's node port, in
   * node name order), every way listed; said plainly when there is none.
   *
   * @param port null: the service's first port
   */
  private ObjectNode traceServiceFromOutside(String serviceKey, PortSpec port, Duration timeout)
      throws InterruptedException {
    ServiceTargets.Service svc = requireService(serviceKey);
    if (port == null) {
      if (svc.ports().isEmpty()) {
        throw ApiException.badRequest(
            "give --port (such as 80/TCP): service " + serviceKey + " declares no port");
      }
      port = svc.ports().get(0);
    }
    PortSpec asked = port;
    ObjectNode waited = converge(timeout);
    ObjectNode out = JSON.createObjectNode();
    out.put("source", "external");
    out.put("destination", "service/" + serviceKey);
    out.put("port", asked.toString());
    compiler.read(
        view -> {
          NextHop.Service hop = svc.uid() == null ? null : view.service(svc.uid());
          if (hop == null) {
            return nowhere(
                out,
                "service "
                    + serviceKey
                    + " has no load balancer in Weft yet (its Kubernetes events say why)");
          }
          if (hop.backends(asked.protocol(), asked.port()) == null) {
            return nowhere(
                out,
                "service "
                    + serviceKey
                    + " has no port "
                    + asked
                    + "; it listens on "
                    + hop.listeners().keySet().stream().sorted().map(Object::toString).toList());
          }
          List<Probe.Way> ways = Probe.externalWays(view, hop, asked.protocol(), asked.port());
          ArrayNode listed = out.putArray("ways");
          ways.forEach(w -> listed.add(w.describe()));
          if (ways.isEmpty()) {
            int nodePort = hop.nodePort(new NextHop.ServicePort(asked.protocol(), asked.port()));
            return nowhere(
                out,
                "service "
                    + serviceKey
                    + (nodePort > 0
                        ? " has no floating IP or external IP, and no node reports an address for"
                            + " its node port "
                            + nodePort
                        : " has no floating IP, external IP or node port")
                    + ": nothing outside the cluster reaches it");
          }
          Probe.Way way = ways.get(0);
          out.put("via", way.describe());
          fromOutside(view, out, asked, way.address(), way.port());
          return null;
        });
    out.set("convergence", waited);
    return out;
  }

  /** A trace from outside that found no way in: no packet, dropped, {@code reason}. */
  private static Void nowhere(ObjectNode out, String reason) {
    out.put("packet", "(none)");
    out.put("verdict", "dropped");
    out.put("reason", reason);
    out.putArray("steps");
    return null;
  }

  /** The packet from outside to {@code to}:{@code port}, and its reply when it is delivered. */
  private static void fromOutside(
      CompiledView view, ObjectNode out, PortSpec asked, String to, int port) {
    String from = Probe.externalSource(to);
    String node = view.nodeAt(to);
    if (node != null && !out.has("via")) {
      out.put("via", new Probe.Way(to, port, node).describe());
    }
    List<Step> steps = new ArrayList<>();
    Verdict v =
        ForwardingModel.fromGateway(
            view, asked.protocol(), from, TRACE_SOURCE_PORT, to, port, steps);
    Packet sent = new Packet(OUTSIDE, asked.protocol(), from, TRACE_SOURCE_PORT, to, port);
    out.put("packet", sent.describe());
    verdict(out, v);
    if (v.delivered()) {
      List<Step> back = new ArrayList<>();
      Verdict reply =
          ForwardingModel.replyToGateway(
              view, asked.protocol(), from, TRACE_SOURCE_PORT, to, port, v, back);
      ObjectNode r = out.putObject("reply");
      r.put(
          "packet",
          new Packet(
                  v.destinationInterface(),
                  asked.protocol(),
                  v.deliveredAs() == null ? to : v.deliveredAs(),
                  v.deliveredPort() > 0 ? v.deliveredPort() : port,
                  from,
                  TRACE_SOURCE_PORT)
              .describe());
      verdict(r, reply);
    }
  }

  /**
   * A packet from a host outside the cluster to {@code destination}: an address (a floating IP, or
   * a node's address at a node port), or a pod (through the first address the gateway has a route
   * for that leads to it, a floating IP usually).
   */
  private ObjectNode traceFromOutside(String destination, PortSpec port, Duration timeout)
      throws InterruptedException {
    if (port == null) {
      throw ApiException.badRequest("give --port (such as 80/TCP) for a trace from outside");
    }
    boolean toAddress = isAddress(destination);
    String dstKey = toAddress ? null : podKey(destination);
    List<PodTargets.Pod> pods =
        dstKey == null ? List.of() : PodTargets.of(requireGateway().list("pods", null));
    ObjectNode waited = converge(timeout);
    UUID dstIface = dstKey == null ? null : requireInterface(interfacesByPod(), dstKey, pods);
    ObjectNode out = JSON.createObjectNode();
    out.put("source", "external");
    out.put("destination", dstKey == null ? destination : dstKey);
    out.put("port", port.toString());
    compiler.read(
        view -> {
          String to = toAddress ? IpPrefix.canonicalAddress(destination) : null;
          if (to == null) {
            List<String> exported = Probe.exportedAddresses(view).getOrDefault(dstIface, List.of());
            if (exported.isEmpty()) {
              return nowhere(
                  out,
                  dstKey
                      + " has no floating IP (nor address) in a network with route targets: the"
                      + " gateway has no route to it");
            }
            to = exported.get(0);
          }
          fromOutside(view, out, port, to, port.port());
          return null;
        });
    out.set("convergence", waited);
    return out;
  }

  private static void verdict(ObjectNode out, Verdict v) {
    out.put("verdict", v.delivered() ? "delivered" : "dropped");
    out.put("reason", v.reason());
    ArrayNode steps = out.putArray("steps");
    for (Step s : v.steps()) {
      steps.addObject().put("stage", s.stage()).put("detail", s.detail());
    }
  }

  private KubernetesGateway requireGateway() {
    if (gateway == null) {
      throw ApiException.unavailable(
          "this Weft server is not attached to a Kubernetes cluster: there are no pods to probe");
    }
    return gateway;
  }

  private ObjectNode converge(Duration timeout) throws InterruptedException {
    long start = System.nanoTime();
    Convergence.Result r = convergence.await(timeout);
    Duration left = timeout.minusNanos(System.nanoTime() - start);
    boolean compiled =
        compiler.awaitRevision(r.storeRevision(), left.isNegative() ? Duration.ZERO : left);
    ObjectNode out = JSON.createObjectNode();
    out.put("converged", r.reached() && compiled);
    out.put("storeRevision", r.storeRevision());
    out.put("compiledRevision", compiler.revision());
    if (!r.reached()) {
      out.put("held", r.held());
    } else if (!compiled) {
      out.put(
          "held",
          "the forwarding state is compiled up to store revision "
              + compiler.revision()
              + ", not yet "
              + r.storeRevision());
    }
    out.put("waitedMillis", Duration.ofNanos(System.nanoTime() - start).toMillis());
    return out;
  }

  private Map<String, UUID> interfacesByPod() {
    return compiler.read(
        view -> {
          Map<String, UUID> out = new HashMap<>();
          for (Endpoint e : view.endpoints()) {
            if (!e.pod().isEmpty()) {
              out.put(e.namespace() + "/" + e.pod(), e.interfaceUuid());
            }
          }
          return out;
        });
  }

  private static UUID requireInterface(
      Map<String, UUID> interfaces, String key, List<PodTargets.Pod> pods) {
    UUID iface = interfaces.get(key);
    if (iface != null) {
      return iface;
    }
    boolean exists = pods.stream().anyMatch(p -> p.key().equals(key));
    throw exists
        ? ApiException.conflict(
            "pod " + key + " has no interface in Weft yet (its Kubernetes events say why)")
        : ApiException.notFound(
            "no pod " + key + " on the pod network (host-network and finished pods have none)");
  }

  /**
   * {@code service/NS/NAME} or {@code svc/NS/NAME} ({@code NS/} optional): a service; else null.
   */
  static String serviceKey(String text) {
    String t = text.trim();
    for (String prefix : List.of("service/", "svc/")) {
      if (t.startsWith(prefix)) {
        return podKey(t.substring(prefix.length()));
      }
    }
    return null;
  }

  /** {@code ns/pod}, or {@code pod} in namespace default. */
  static String podKey(String text) {
    String t = text.trim();
    if (t.isEmpty() || t.chars().filter(c -> c == '/').count() > 1) {
      throw new IllegalArgumentException("\"" + text + "\" is not a pod (NAMESPACE/NAME)");
    }
    return t.indexOf('/') < 0 ? "default/" + t : t;
  }

  private static boolean isAddress(String text) {
    try {
      IpPrefix.canonicalAddress(text);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
