package dev.weft.dataplane;

import dev.weft.control.Acl;
import dev.weft.control.AclEntry;
import dev.weft.control.CompiledView;
import dev.weft.control.Compiler;
import dev.weft.control.Endpoint;
import dev.weft.control.Gateway;
import dev.weft.control.Jhash;
import dev.weft.control.NextHop;
import dev.weft.control.NodePort;
import dev.weft.control.Route;
import dev.weft.control.Vrf;
import dev.weft.control.policy.PolicyDecision;
import dev.weft.control.policy.PolicyView;
import dev.weft.model.FqName;
import dev.weft.model.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The vRouter's forwarding, in process, over the compiled state: the source interface's routing
 * instance, longest-prefix match, an ECMP member chosen by a hash of the 5-tuple, the source
 * network's ACL on the way out, the tunnel to the destination's node, the destination network's ACL
 * on the way in, then Kubernetes NetworkPolicy (egress at the source pod, ingress at the
 * destination pod, judged on the packet as the destination receives it: after destination NAT to a
 * service's backend and target port, or a floating IP's pod), delivery. A session remembers the
 * flows it let through (forward and reverse, as vRouter flow pairs) so that a reply of an allowed
 * flow is allowed, whatever the policies say about the reverse direction: NetworkPolicy is
 * stateful.
 *
 * <p>{@link #evaluate} is the one implementation of those rules; {@code probe} calls it without
 * collecting steps, {@code trace} with them. {@link #fromGateway} is its counterpart for a packet
 * from outside the cluster: through the gateway router to a floating IP (of a pod, or fronting a
 * service's load balancer), or over the fabric to a node's address at a node port.
 */
public final class ForwardingModel implements Dataplane {
  private final Compiler compiler;

  public ForwardingModel(Compiler compiler) {
    this.compiler = compiler;
  }

  @Override
  public String name() {
    return "model";
  }

  @Override
  public Session open() {
    return new ModelSession();
  }

  /** The 5-tuple of a flow, the key of the flow table. */
  private record FlowKey(
      Protocol protocol, String source, int sourcePort, String destination, int destinationPort) {
    static FlowKey of(Packet p) {
      return new FlowKey(
          p.protocol(), p.source(), p.sourcePort(), p.destination(), p.destinationPort());
    }

    FlowKey reverse() {
      return new FlowKey(protocol, destination, destinationPort, source, sourcePort);
    }
  }

  /** A flow entry: the interface it delivers to, and what made it. */
  /**
   * @param translate for the reverse entry of a flow through a floating IP, the floating IP the
   *     reply's source is translated back to; null otherwise
   */
  private record Flow(UUID deliverTo, String origin, boolean reverse, String translate) {}

  private final class ModelSession implements Session {
    private final Map<FlowKey, Flow> flows = new ConcurrentHashMap<>();

    @Override
    public Verdict send(Packet packet) {
      return compiler.read(
          view -> {
            List<Step> steps = new ArrayList<>();
            Flow hit = flows.get(FlowKey.of(packet));
            if (hit != null) {
              return established(view, packet, hit, steps);
            }
            Verdict v = evaluate(view, packet, steps);
            if (v.delivered()) {
              String origin = packet.describe();
              flows.put(
                  FlowKey.of(packet), new Flow(v.destinationInterface(), origin, false, null));
              // The reply leaves the destination from its own address when it was translated.
              FlowKey reverse =
                  v.deliveredAs() == null
                      ? FlowKey.of(packet).reverse()
                      : new FlowKey(
                          packet.protocol(),
                          v.deliveredAs(),
                          v.deliveredPort() > 0 ? v.deliveredPort() : packet.destinationPort(),
                          packet.source(),
                          packet.sourcePort());
              flows.put(
                  reverse,
                  new Flow(
                      packet.sourceInterface(),
                      origin,
                      true,
                      v.deliveredAs() == null
                          ? null
                          : packet.destination() + ":" + packet.destinationPort()));
              steps = new ArrayList<>(v.steps());
              steps.add(
                  new Step(
                      "flow",
                      "flow pair installed: "
                          + packet.describe()
                          + " and its reverse, so replies pass"));
              return new Verdict(
                  true,
                  v.destinationInterface(),
                  v.reason(),
                  steps,
                  v.deliveredAs(),
                  v.deliveredPort());
            }
            return v;
          });
    }

    @Override
    public void close() {
      flows.clear();
    }
  }

  private static Verdict established(CompiledView view, Packet p, Flow f, List<Step> steps) {
    Endpoint src = view.endpoint(p.sourceInterface());
    Endpoint dst = view.endpoint(f.deliverTo());
    if (src == null || dst == null) {
      steps.add(new Step("flow", "flow entry for " + p.describe() + " is stale: interface gone"));
      return drop("an interface of the flow is gone", steps);
    }
    String what = f.reverse() ? "reply of the allowed flow " : "packet of the allowed flow ";
    steps.add(new Step("flow", "flow table hit: " + what + f.origin()));
    if (f.translate() != null) {
      steps.add(
          new Step(
              "nat",
              "source NAT back: "
                  + p.source()
                  + ":"
                  + p.sourcePort()
                  + " -> "
                  + f.translate()
                  + " (the address the flow was opened to)"));
    }
    steps.add(new Step("deliver", "delivered to " + describe(dst)));
    return new Verdict(true, dst.interfaceUuid(), what + f.origin(), steps);
  }

  /*
   * Verdicts of the fast path (steps null), with fixed reasons: probe asks for millions of cells and
   * reads only the verdict, so it must build no sentence, and allocate nothing for a drop. The
   * explained path (trace) says the same thing in full, with names.
   */
  private static final Verdict UNKNOWN_SOURCE = fast("no such source interface");
  private static final Verdict SPOOFED = fast("spoofed source address");
  private static final Verdict SOURCE_UNPLACED = fast("source not on any node yet");
  private static final Verdict NO_VRF = fast("no routing instance");
  private static final Verdict NO_ROUTE = fast("no route");
  private static final Verdict NO_LISTENER = fast("no listener on that port");
  private static final Verdict NO_BACKEND = fast("no ready backend");
  private static final Verdict HOP_GONE = fast("route points at an interface that is gone");
  private static final Verdict DENIED_LEAVING = fast("denied leaving the source network");
  private static final Verdict DESTINATION_UNPLACED = fast("destination not on any node yet");
  private static final Verdict DENIED_ENTERING = fast("denied entering the destination network");
  private static final Verdict NO_NODE_PORT = fast("no service on that node port");
  private static final Verdict OTHER_FAMILY = fast("backend of another address family");
  private static final Verdict DENIED_EGRESS =
      fast("denied by NetworkPolicy egress of the source pod");
  private static final Verdict DENIED_INGRESS =
      fast("denied by NetworkPolicy ingress of the destination pod");

  /** The source interface of a packet from outside: none, so a nil UUID. */
  private static final UUID OUTSIDE = new UUID(0, 0);

  private static final String SELF = "a pod always reaches itself";
  private static final String SAME_NETWORK = "same network";
  private static final String BETWEEN_NETWORKS = "allowed between networks";

  private static Verdict fast(String reason) {
    return new Verdict(false, null, reason, List.of());
  }

  /**
   * Forwards one packet without a flow table: the decision for the first packet of a flow.
   * Thread-safe: it only reads {@code view}.
   *
   * @param steps where to record every step, or null to skip explaining (the fast path of probe):
   *     then the verdict is the same, but its reason is a fixed phrase without names (such as
   *     {@code no route} or {@code denied leaving the source network}), and nothing is built for a
   *     dropped packet
   */
  public static Verdict evaluate(CompiledView view, Packet p, List<Step> steps) {
    return evaluate(view, p, steps, -1);
  }

  /**
   * How many next hops the first packet of {@code p}'s flow could go to: the ECMP members (or a
   * service listener's ready backends) of the route it matches; 1 for a single next hop, 0 when it
   * has no route or no listener.
   */
  public static int nextHops(CompiledView view, Packet p) {
    Endpoint src = view.endpoint(p.sourceInterface());
    Vrf vrf = src == null ? null : view.vrf(src.network());
    Route route = vrf == null ? null : vrf.lookup(p.destination());
    if (route == null) {
      return 0;
    }
    if (route.nextHop() instanceof NextHop.Ecmp e) {
      return e.members().size();
    }
    if (route.nextHop() instanceof NextHop.Service svc) {
      List<NextHop.Interface> members = svc.backends(p.protocol(), p.destinationPort());
      return members == null ? 0 : members.size();
    }
    return 1;
  }

  /**
   * @param member which ECMP member to take (probe asks each backend of a service in turn), or -1
   *     for the one the 5-tuple hash picks
   */
  public static Verdict evaluate(CompiledView view, Packet p, List<Step> steps, int member) {
    Endpoint src = view.endpoint(p.sourceInterface());
    if (src == null) {
      return steps == null
          ? UNKNOWN_SOURCE
          : drop("no interface " + p.sourceInterface() + " is known", steps);
    }
    if (steps != null) {
      steps.add(
          new Step(
              "source",
              describe(src)
                  + " sends "
                  + p.describe()
                  + (src.addresses().isEmpty() ? "" : " (its addresses " + src.addresses() + ")")));
    }
    if (!src.addresses().contains(p.source())) {
      if (steps == null) {
        return SPOOFED;
      }
      return drop(
          "source address "
              + p.source()
              + " is not an address of "
              + src.displayName()
              + " (the vRouter drops spoofed packets)",
          steps);
    }
    if (src.addresses().contains(p.destination())) {
      if (steps != null) {
        steps.add(
            new Step(
                "deliver",
                "destination is the pod's own address: delivered inside the pod, the vRouter"
                    + " never sees it"));
      }
      return new Verdict(true, src.interfaceUuid(), SELF, stepsOf(steps));
    }
    if (!src.placed()) {
      return steps == null
          ? SOURCE_UNPLACED
          : drop(src.displayName() + " is not on any node yet: no vRouter holds it", steps);
    }
    Vrf vrf = view.vrf(src.network());
    if (vrf == null) {
      return steps == null
          ? NO_VRF
          : drop("network " + src.network() + " has no routing instance", steps);
    }
    if (steps != null) {
      steps.add(new Step("vrf", "lookup in VRF " + src.network() + importsText(vrf)));
    }
    Route route = vrf.lookup(p.destination());
    if (route == null) {
      if (steps == null) {
        return NO_ROUTE;
      }
      return drop(
          "no route to "
              + p.destination()
              + " in VRF "
              + src.network()
              + networksText(vrf)
              + whereIs(view, p.destination()),
          steps);
    }
    NextHop next = route.nextHop();
    if (next instanceof NextHop.Service svc) {
      NextHop.ServicePort port = new NextHop.ServicePort(p.protocol(), p.destinationPort());
      List<NextHop.Interface> backends = svc.backends(p.protocol(), p.destinationPort());
      if (backends == null) {
        return steps == null
            ? NO_LISTENER
            : drop(
                "service "
                    + svc.loadbalancer()
                    + " (VIP "
                    + p.destination()
                    + ") has no listener on "
                    + port
                    + "; it listens on "
                    + svc.listeners().keySet().stream().map(Object::toString).sorted().toList(),
                steps);
      }
      if (backends.isEmpty()) {
        return steps == null
            ? NO_BACKEND
            : drop(
                "service "
                    + svc.loadbalancer()
                    + " has no ready backend on "
                    + port
                    + " (its endpoints are not ready, or not Weft interfaces)",
                steps);
      }
      if (steps != null) {
        steps.add(
            new Step(
                "route",
                "matched "
                    + route.prefix()
                    + ": VIP of service "
                    + svc.loadbalancer()
                    + (route.origin().equals(src.network())
                        ? ""
                        : " (leaked from "
                            + route.origin()
                            + " by "
                            + String.join(", ", names(vrf.imports().get(route.origin())))
                            + ")")
                    + ", listener "
                    + port
                    + " with "
                    + backends.size()
                    + " ready backend(s)"));
      }
      next = new NextHop.Ecmp(backends);
    }
    NextHop.Interface hop =
        choose(next, route.nextHop() instanceof NextHop.Service, p, steps, member);
    Endpoint dst = view.endpoint(hop.interfaceUuid());
    if (dst == null) {
      return steps == null
          ? HOP_GONE
          : drop("route points at interface " + hop.interfaceUuid() + ", which is gone", steps);
    }
    if (steps != null) {
      String origin =
          route.origin().equals(src.network())
              ? "own route"
              : "leaked from "
                  + route.origin()
                  + " by "
                  + String.join(", ", names(vrf.imports().get(route.origin())));
      steps.add(
          new Step(
              "route",
              "matched " + route.prefix() + " (" + origin + ") -> next hop " + describe(dst)));
    }
    FqName srcNet = src.network();
    // Through a floating IP the flow's destination network is the floating IP's: its policies
    // decide, on the way out and on the way in, as Contrail's vRouter does for floating-IP flows.
    String nat = hop.translateTo();
    FqName dstNet = nat == null ? dst.network() : route.origin();
    Acl.Decision out = decide(vrf.acl(), srcNet, dstNet, p);
    explainAcl("policy-out", vrf.acl(), out, steps);
    if (!out.passes()) {
      return steps == null ? DENIED_LEAVING : drop(denied("leaving", vrf.acl(), out), steps);
    }
    if (!dst.placed()) {
      return steps == null
          ? DESTINATION_UNPLACED
          : drop(dst.displayName() + " is not on any node yet: no vRouter holds it", steps);
    }
    if (steps != null) {
      if (dst.node().equals(src.node())) {
        steps.add(new Step("tunnel", "same node " + src.node() + ": switched locally"));
      } else {
        steps.add(
            new Step(
                "tunnel",
                "encapsulated from "
                    + src.node()
                    + " ("
                    + orUnknown(src.nodeAddress())
                    + ") to "
                    + dst.node()
                    + " ("
                    + orUnknown(dst.nodeAddress())
                    + "), into VRF "
                    + dstNet));
      }
    }
    if (nat != null && steps != null) {
      steps.add(
          new Step(
              "nat",
              "destination NAT on "
                  + dst.node()
                  + ": "
                  + (hop.translatePort() > 0
                      ? p.destination()
                          + ":"
                          + p.destinationPort()
                          + " -> "
                          + nat
                          + ":"
                          + hop.translatePort()
                          + " (backend "
                          + dst.displayName()
                          + " of service "
                          + ((NextHop.Service) route.nextHop()).loadbalancer()
                      : p.destination()
                          + " -> "
                          + nat
                          + " (floating IP of "
                          + dst.displayName()
                          + " in "
                          + route.origin())
                  + "; replies are translated back)"));
    }
    Vrf dstVrf = view.vrf(dstNet);
    if (dstVrf == null) {
      return steps == null ? NO_VRF : drop("network " + dstNet + " has no routing instance", steps);
    }
    Acl.Decision in = decide(dstVrf.acl(), srcNet, dstNet, p);
    explainAcl("policy-in", dstVrf.acl(), in, steps);
    if (!in.passes()) {
      return steps == null ? DENIED_ENTERING : drop(denied("entering", dstVrf.acl(), in), steps);
    }
    Verdict denied =
        networkPolicy(
            view.policies(),
            src.interfaceUuid(),
            p.source(),
            dst,
            nat == null ? p.destination() : nat,
            p.protocol(),
            hop.translatePort() > 0 ? hop.translatePort() : p.destinationPort(),
            steps);
    if (denied != null) {
      return denied;
    }
    if (steps == null) {
      return new Verdict(
          true,
          dst.interfaceUuid(),
          srcNet.equals(dstNet) ? SAME_NETWORK : BETWEEN_NETWORKS,
          List.of(),
          nat,
          hop.translatePort());
    }
    steps.add(
        new Step("deliver", "delivered to " + describe(dst) + (nat == null ? "" : " as " + nat)));
    return new Verdict(
        true,
        dst.interfaceUuid(),
        (srcNet.equals(dstNet)
                ? "same network " + srcNet
                : "allowed from " + srcNet + " to " + dstNet)
            + (nat == null
                ? ""
                : route.nextHop() instanceof NextHop.Service
                    ? ", through service VIP " + p.destination() + ":" + p.destinationPort()
                    : ", through floating IP " + p.destination()),
        stepsOf(steps),
        nat,
        hop.translatePort());
  }

  /**
   * A packet from outside the cluster, through the gateway router; the ECMP member the 5-tuple hash
   * picks. See {@link #fromGateway(CompiledView, Protocol, String, int, String, int, List, int)}.
   */
  public static Verdict fromGateway(
      CompiledView view,
      Protocol protocol,
      String source,
      int sourcePort,
      String destination,
      int destinationPort,
      List<Step> steps) {
    return fromGateway(view, protocol, source, sourcePort, destination, destinationPort, steps, -1);
  }

  /**
   * A packet from outside the cluster, through the gateway router. Two ways in:
   *
   * <ul>
   *   <li>A node's address: the gateway reaches nodes over the underlay (the fabric), and the
   *       node's vRouter looks the destination port up among the node ports ({@link
   *       CompiledView#nodePort}), picks a backend of that service listener by the 5-tuple hash,
   *       translates to the backend's address and target port and tunnels to the backend's node. No
   *       virtual-network ACL judges it: it enters through the node's fabric interface, not from a
   *       virtual network (Kubernetes NetworkPolicy will, on the translated packet).
   *   <li>Any other address: the gateway has the routes of the networks that have route targets (it
   *       imports them, as over MP-BGP in the seeds), and nothing else; it tunnels the packet to
   *       the node of the next hop, into that network's VRF, where floating IPs are translated (to
   *       an interface, or to a backend of the load balancer the floating IP fronts) and the
   *       network's ACL (with an external source, so only {@code any} and subnet rules match it)
   *       decides.
   * </ul>
   *
   * <p>Node addresses are looked at first: they are the fabric's, and an overlay route to one would
   * be a misconfiguration the fabric would not follow either.
   *
   * @param steps where to record every step, or null
   * @param member which ECMP member (or service backend) to take (probe asks each backend in turn),
   *     or -1 for the one the 5-tuple hash picks
   */
  public static Verdict fromGateway(
      CompiledView view,
      Protocol protocol,
      String source,
      int sourcePort,
      String destination,
      int destinationPort,
      List<Step> steps,
      int member) {
    if (steps != null) {
      steps.add(
          new Step(
              "source",
              "outside host "
                  + source
                  + " sends "
                  + protocol.wire()
                  + " to "
                  + destination
                  + ":"
                  + destinationPort
                  + "; it reaches the cluster through the gateway router"));
    }
    Packet p = new Packet(OUTSIDE, protocol, source, sourcePort, destination, destinationPort);
    String node = view.nodeAt(destination);
    if (node != null) {
      return throughNodePort(view, p, node, steps, member);
    }
    Gateway.Exported gw = Gateway.route(view, destination);
    Vrf exported = gw == null ? null : gw.vrf();
    Route route = gw == null ? null : gw.route();
    if (route == null) {
      return steps == null
          ? NO_ROUTE
          : drop(
              "the gateway has no route to "
                  + destination
                  + ": no network with a route target holds it, and it is no node's address"
                  + " (only floating IPs and addresses of such networks, and node ports on node"
                  + " addresses, are reachable from outside)",
              steps);
    }
    String gatewayRoute =
        "gateway route "
            + route.prefix()
            + " exported by "
            + exported.network()
            + " (route targets "
            + String.join(", ", exported.routeTargets())
            + ")";
    NextHop next = route.nextHop();
    NextHop.Service service = null;
    if (next instanceof NextHop.Service svc) {
      service = svc;
      NextHop.ServicePort port = new NextHop.ServicePort(protocol, destinationPort);
      List<NextHop.Interface> backends = svc.backends(protocol, destinationPort);
      if (backends == null) {
        return steps == null
            ? NO_LISTENER
            : drop(
                gatewayRoute
                    + ": floating IP of service "
                    + svc.loadbalancer()
                    + ", which has no listener on "
                    + port
                    + "; it listens on "
                    + svc.listeners().keySet().stream().sorted().map(Object::toString).toList(),
                steps);
      }
      if (backends.isEmpty()) {
        return steps == null
            ? NO_BACKEND
            : drop(
                gatewayRoute
                    + ": floating IP of service "
                    + svc.loadbalancer()
                    + ", which has no ready backend on "
                    + port
                    + " (its endpoints are not ready, or not Weft interfaces)",
                steps);
      }
      if (steps != null) {
        steps.add(
            new Step(
                "route",
                gatewayRoute
                    + ": floating IP of service "
                    + svc.loadbalancer()
                    + ", listener "
                    + port
                    + " with "
                    + backends.size()
                    + " ready backend(s)"));
      }
      next = new NextHop.Ecmp(backends);
    }
    NextHop.Interface hop;
    if (member >= 0 || next instanceof NextHop.Interface) {
      hop = choose(next, service != null, p, steps, member);
    } else {
      List<NextHop.Interface> members =
          Gateway.family(((NextHop.Ecmp) next).members(), destination);
      hop =
          Gateway.choose(
              members, service != null, source, sourcePort, destination, destinationPort);
      if (hop == null) {
        return steps == null
            ? DESTINATION_UNPLACED
            : drop("no next hop of " + destination + " is on a node with an address", steps);
      }
      if (steps != null) {
        List<String> nodes = Gateway.nodes(members);
        steps.add(
            new Step(
                "ecmp",
                "gateway ECMP over the nodes holding a next hop "
                    + nodes
                    + ": jhash (gateway seed) of "
                    + (service != null ? "the 5-tuple" : "the addresses")
                    + " picks "
                    + hop.node()
                    + ", which translates only to its own next hops "
                    + Gateway.local(members, hop.node()).stream()
                        .map(
                            i ->
                                i.translateTo() == null
                                    ? i.interfaceUuid().toString()
                                    : i.translateTo())
                        .toList()
                    + " (jhash, the nodes' seed, picks "
                    + (hop.translateTo() == null ? hop.interfaceUuid() : hop.translateTo())
                    + ")"));
      }
    }
    Endpoint dst = view.endpoint(hop.interfaceUuid());
    if (dst == null || !dst.placed()) {
      return steps == null
          ? DESTINATION_UNPLACED
          : drop("the next hop is on no node (not placed, or gone)", steps);
    }
    if (hop.translateTo() != null && isV6(hop.translateTo()) != isV6(destination)) {
      return steps == null ? OTHER_FAMILY : drop(otherFamily(dst, hop, destination), steps);
    }
    if (steps != null) {
      if (service == null) {
        steps.add(new Step("route", gatewayRoute + " -> " + describe(dst)));
      }
      steps.add(
          new Step(
              "tunnel",
              "gateway tunnels it to "
                  + dst.node()
                  + " ("
                  + orUnknown(dst.nodeAddress())
                  + "), into VRF "
                  + exported.network()));
      if (hop.translateTo() != null) {
        steps.add(
            new Step(
                "nat",
                "destination NAT on "
                    + dst.node()
                    + ": "
                    + destination
                    + ":"
                    + destinationPort
                    + " -> "
                    + hop.translateTo()
                    + ":"
                    + (hop.translatePort() > 0 ? hop.translatePort() : destinationPort)
                    + (service != null
                        ? " (backend " + dst.displayName() + " of service " + service.loadbalancer()
                        : " (floating IP of " + dst.displayName() + " in " + exported.network())
                    + "); replies are translated back to "
                    + destination
                    + ":"
                    + destinationPort));
      }
    }
    Acl.Decision in = decide(exported.acl(), null, exported.network(), p);
    explainAcl("policy-in", exported.acl(), in, steps);
    if (!in.passes()) {
      return steps == null ? DENIED_ENTERING : drop(denied("entering", exported.acl(), in), steps);
    }
    Verdict denied =
        networkPolicy(
            view.policies(),
            null,
            source,
            dst,
            hop.translateTo() == null ? destination : hop.translateTo(),
            protocol,
            hop.translatePort() > 0 ? hop.translatePort() : destinationPort,
            steps);
    if (denied != null) {
      return denied;
    }
    if (steps != null) {
      steps.add(
          new Step(
              "deliver",
              "delivered to "
                  + describe(dst)
                  + (hop.translateTo() == null ? "" : " as " + hop.translateTo())
                  + (hop.translatePort() > 0 ? ":" + hop.translatePort() : "")));
    }
    return new Verdict(
        true,
        dst.interfaceUuid(),
        "from outside through "
            + exported.network()
            + (service == null
                ? ""
                : ", floating IP " + destination + " of service " + service.loadbalancer()),
        stepsOf(steps),
        hop.translateTo(),
        hop.translatePort());
  }

  /**
   * The reply to a packet {@link #fromGateway} delivered: it leaves the destination from its own
   * address and port ({@code forward}'s {@code deliveredAs} and {@code deliveredPort} when it was
   * translated), matches the reverse entry of the flow pair the first packet installed, is
   * translated back to the address and port the outside host sent to (on the backend's node for a
   * floating IP, on the node the packet came in by for a node port) and leaves through the gateway.
   *
   * @param forward a delivered verdict of {@link #fromGateway} for this 5-tuple
   * @param steps where to record every step, or null
   */
  public static Verdict replyToGateway(
      CompiledView view,
      Protocol protocol,
      String outside,
      int outsidePort,
      String destination,
      int destinationPort,
      Verdict forward,
      List<Step> steps) {
    if (!forward.delivered()) {
      throw new IllegalArgumentException("no reply to a packet that was dropped");
    }
    Endpoint from = view.endpoint(forward.destinationInterface());
    if (from == null) {
      return steps == null
          ? HOP_GONE
          : drop("the interface the packet was delivered to is gone", steps);
    }
    String as = forward.deliveredAs() == null ? destination : forward.deliveredAs();
    int asPort = forward.deliveredPort() > 0 ? forward.deliveredPort() : destinationPort;
    Packet reply = new Packet(from.interfaceUuid(), protocol, as, asPort, outside, outsidePort);
    if (steps != null) {
      steps.add(new Step("source", describe(from) + " answers " + reply.describe()));
      steps.add(
          new Step(
              "flow",
              "flow table hit on "
                  + from.node()
                  + ": reply of the allowed flow "
                  + protocol.wire()
                  + " "
                  + outside
                  + ":"
                  + outsidePort
                  + " -> "
                  + destination
                  + ":"
                  + destinationPort));
      String node = view.nodeAt(destination);
      if (node != null && !node.equals(from.node())) {
        steps.add(
            new Step(
                "tunnel",
                "encapsulated from "
                    + from.node()
                    + " back to "
                    + node
                    + " ("
                    + destination
                    + "), where the node port's flow is"));
      }
      if (forward.deliveredAs() != null) {
        steps.add(
            new Step(
                "nat",
                "source NAT back on "
                    + (node != null ? node : from.node())
                    + ": "
                    + as
                    + ":"
                    + asPort
                    + " -> "
                    + destination
                    + ":"
                    + destinationPort
                    + " (the address the flow was opened to)"));
      }
      steps.add(
          new Step(
              "deliver",
              (node != null ? "out of " + node + "'s fabric interface" : "to the gateway router")
                  + ", and on to outside host "
                  + outside));
    }
    return new Verdict(true, null, "reply of the allowed flow from " + outside, stepsOf(steps));
  }

  /**
   * The rest of {@link #fromGateway} for a packet to a node's own address: the node port, the
   * backend, destination NAT on the node the packet arrived at, the tunnel to the backend's node.
   */
  private static Verdict throughNodePort(
      CompiledView view, Packet p, String node, List<Step> steps, int member) {
    NextHop.ServicePort asked = new NextHop.ServicePort(p.protocol(), p.destinationPort());
    if (steps != null) {
      steps.add(
          new Step(
              "route",
              "gateway: "
                  + p.destination()
                  + " is the address of node "
                  + node
                  + ", routed over the underlay (the fabric), not into an overlay VRF"));
      steps.add(
          new Step(
              "node",
              "arrives on "
                  + node
                  + "'s fabric interface; its vRouter looks up node port "
                  + asked));
    }
    NodePort nodePort = view.nodePort(p.protocol(), p.destinationPort());
    if (nodePort == null) {
      return steps == null
          ? NO_NODE_PORT
          : drop(
              "node "
                  + node
                  + " ("
                  + p.destination()
                  + ") has no node port "
                  + asked
                  + ": no service listens on it"
                  + nodePortsInUse(view),
              steps);
    }
    NextHop.Service svc = nodePort.service();
    List<NextHop.Interface> backends = nodePort.backends();
    if (backends.isEmpty()) {
      return steps == null
          ? NO_BACKEND
          : drop(
              "node port "
                  + asked
                  + " is service "
                  + svc.loadbalancer()
                  + " port "
                  + nodePort.servicePort()
                  + ", which has no ready backend (its endpoints are not ready, or not Weft"
                  + " interfaces)",
              steps);
    }
    if (steps != null) {
      steps.add(
          new Step(
              "nodeport",
              "node port "
                  + asked
                  + " is service "
                  + svc.loadbalancer()
                  + " port "
                  + nodePort.servicePort()
                  + ", with "
                  + backends.size()
                  + " ready backend(s)"));
    }
    NextHop.Interface hop = choose(new NextHop.Ecmp(backends), true, p, steps, member);
    Endpoint dst = view.endpoint(hop.interfaceUuid());
    if (dst == null) {
      return steps == null
          ? HOP_GONE
          : drop("backend interface " + hop.interfaceUuid() + " is gone", steps);
    }
    if (!dst.placed()) {
      return steps == null
          ? DESTINATION_UNPLACED
          : drop(dst.displayName() + " is not on any node yet: no vRouter holds it", steps);
    }
    if (isV6(hop.translateTo()) != isV6(p.destination())) {
      return steps == null ? OTHER_FAMILY : drop(otherFamily(dst, hop, p.destination()), steps);
    }
    int port = hop.translatePort() > 0 ? hop.translatePort() : p.destinationPort();
    if (steps != null) {
      steps.add(
          new Step(
              "nat",
              "destination NAT on "
                  + node
                  + ": "
                  + p.destination()
                  + ":"
                  + p.destinationPort()
                  + " -> "
                  + hop.translateTo()
                  + ":"
                  + port
                  + " (backend "
                  + dst.displayName()
                  + " of service "
                  + svc.loadbalancer()
                  + "); replies are translated back to "
                  + p.destination()
                  + ":"
                  + p.destinationPort()
                  + " on "
                  + node));
    }
    // A backend on another node would answer the outside host directly, past the node that
    // translated the request: so, as kube-proxy does for externalTrafficPolicy Cluster, that node
    // also translates the source to its own address, and the reply comes back through it. A local
    // backend's reply passes the translating node anyway: it sees the outside host's address.
    boolean local = node.equals(dst.node());
    String seenFrom = local ? p.source() : p.destination();
    if (steps != null && !local) {
      steps.add(
          new Step(
              "nat",
              "source NAT on "
                  + node
                  + ": "
                  + p.source()
                  + " -> "
                  + p.destination()
                  + " (the backend is on another node: its reply must come back through "
                  + node
                  + ", which holds the flow); the backend sees "
                  + p.destination()));
    }
    Packet translated =
        new Packet(OUTSIDE, p.protocol(), seenFrom, p.sourcePort(), hop.translateTo(), port);
    Verdict denied = admitFromFabric(view, translated, dst, steps);
    if (denied != null) {
      return denied;
    }
    if (steps != null) {
      if (node.equals(dst.node())) {
        steps.add(
            new Step(
                "tunnel",
                "backend is on " + node + " itself: switched locally into VRF " + dst.network()));
      } else {
        steps.add(
            new Step(
                "tunnel",
                "encapsulated from "
                    + node
                    + " ("
                    + p.destination()
                    + ") to "
                    + dst.node()
                    + " ("
                    + orUnknown(dst.nodeAddress())
                    + "), into VRF "
                    + dst.network()));
      }
      steps.add(
          new Step(
              "deliver",
              "delivered to " + describe(dst) + " as " + hop.translateTo() + ":" + port));
    }
    return new Verdict(
        true,
        dst.interfaceUuid(),
        "from outside through node port "
            + asked
            + " of "
            + node
            + " to service "
            + svc.loadbalancer(),
        stepsOf(steps),
        hop.translateTo(),
        hop.translatePort());
  }

  /**
   * Whether node-port traffic from outside may reach {@code backend}: Kubernetes NetworkPolicy, the
   * ingress rules of the backend's pod with the outside host as the source (so only ipBlock peers,
   * and rules without peers, can admit it), judges the translated packet, as kube-proxy's DNAT
   * happens before the pod's policy. No virtual-network ACL applies here: the packet came in
   * through the node's fabric interface, not from a virtual network, so no network policy between
   * networks names its source.
   *
   * @param translated the packet as the backend receives it: its address and target port
   * @return null when admitted, else the drop
   */
  private static Verdict admitFromFabric(
      CompiledView view, Packet translated, Endpoint backend, List<Step> steps) {
    if (steps != null) {
      steps.add(
          new Step(
              "policy-in",
              "no virtual-network ACL: "
                  + translated.describe()
                  + " entered through a node's fabric interface, not from a virtual network"));
    }
    return networkPolicy(
        view.policies(),
        null,
        translated.source(),
        backend,
        translated.destination(),
        translated.protocol(),
        translated.destinationPort(),
        steps);
  }

  /**
   * Kubernetes NetworkPolicy on a packet the virtual networks let through: egress at the source pod
   * (when the source is one), then ingress at {@code dst}, both on the packet as {@code dst}
   * receives it. The explained path names, for each end, the policy and rule that allowed it, or
   * the policies that select the pod and allow nothing of the kind, or that none selects it.
   *
   * @param source the source pod's interface, or null for a host outside the cluster
   * @param toAddress the destination address after destination NAT
   * @param toPort the destination port after destination NAT
   * @return null when both ends allow it, else the drop
   */
  private static Verdict networkPolicy(
      PolicyView policies,
      UUID source,
      String fromAddress,
      Endpoint dst,
      String toAddress,
      Protocol protocol,
      int toPort,
      List<Step> steps) {
    UUID to = dst.interfaceUuid();
    if (steps == null) {
      if (source != null && !policies.egressAllows(source, to, toAddress, protocol, toPort)) {
        return DENIED_EGRESS;
      }
      return policies.ingressAllows(to, source, fromAddress, protocol, toPort)
          ? null
          : DENIED_INGRESS;
    }
    if (source != null) {
      PolicyDecision out = policies.explainEgress(source, to, toAddress, protocol, toPort);
      steps.add(new Step("egress", out.describe()));
      if (!out.allowed()) {
        return drop("denied by NetworkPolicy: " + out.describe(), steps);
      }
    }
    PolicyDecision in = policies.explainIngress(to, source, fromAddress, protocol, toPort);
    steps.add(new Step("ingress", in.describe()));
    if (!in.allowed()) {
      return drop("denied by NetworkPolicy: " + in.describe(), steps);
    }
    return null;
  }

  private static String nodePortsInUse(CompiledView view) {
    List<String> inUse = new ArrayList<>();
    for (NodePort n : view.nodePorts()) {
      if (inUse.size() == 10) {
        inUse.add("...");
        break;
      }
      inUse.add(n.nodePort().toString());
    }
    return inUse.isEmpty() ? " (no node port is in use)" : " (node ports in use: " + inUse + ")";
  }

  private static String otherFamily(Endpoint dst, NextHop.Interface hop, String destination) {
    return "the chosen backend "
        + dst.displayName()
        + " is "
        + hop.translateTo()
        + ", not of the family of "
        + destination
        + ": destination NAT does not cross address families";
  }

  private static boolean isV6(String address) {
    return address != null && address.indexOf(':') >= 0;
  }

  /** {@code acl}'s decision on {@code p} from {@code srcNet} to {@code dstNet}. */
  private static Acl.Decision decide(Acl acl, FqName srcNet, FqName dstNet, Packet p) {
    return acl.decide(
        srcNet,
        p.source(),
        dstNet,
        p.destination(),
        p.protocol(),
        p.sourcePort(),
        p.destinationPort());
  }

  /**
   * The ECMP member for this flow, the one every node's kernel picks ({@link Jhash}, the hash the
   * nftables ruleset computes): among the members of the packet's address family, in the next hop's
   * order, over source address, source port, destination address and port before translation for a
   * service listener ({@code ports}), over the addresses alone for a floating IP or an address
   * several interfaces claim. Or the only next hop.
   *
   * @param member -1 for the hash's choice; else that member of all of them (probe asks each in
   *     turn)
   */
  private static NextHop.Interface choose(
      NextHop hop, boolean ports, Packet p, List<Step> steps, int member) {
    if (hop instanceof NextHop.Interface i) {
      return i;
    }
    List<NextHop.Interface> all = ((NextHop.Ecmp) hop).members();
    List<NextHop.Interface> members = member >= 0 ? all : Gateway.family(all, p.destination());
    if (members.isEmpty()) {
      members = all; // none of the family: the family check after the choice says why it drops
    }
    int index =
        member >= 0
            ? Math.floorMod(member, members.size())
            : ports
                ? Jhash.backend(
                    p.source(),
                    p.sourcePort(),
                    p.destination(),
                    p.destinationPort(),
                    members.size())
                : Jhash.backend(p.source(), p.destination(), members.size());
    if (steps != null) {
      steps.add(
          new Step(
              "ecmp",
              "ECMP over "
                  + members.size()
                  + " next hops"
                  + (member >= 0
                      ? ": member " + (index + 1) + " taken as asked"
                      : ": jhash of "
                          + (ports
                              ? "source, source port, destination and destination port"
                              : "source and destination addresses")
                          + " of "
                          + p.describe()
                          + " picks member "
                          + (index + 1))));
    }
    return members.get(index);
  }

  private static void explainAcl(String stage, Acl acl, Acl.Decision d, List<Step> steps) {
    if (steps == null) {
      return;
    }
    String where = stage.equals("policy-out") ? "leaving " : "entering ";
    StringBuilder sb = new StringBuilder(where).append(acl.network()).append(": ");
    if (acl.policies().isEmpty() && acl.missing().isEmpty()) {
      sb.append("no policy attached");
    } else {
      sb.append("policies ").append(names(acl.policies()));
      if (!acl.missing().isEmpty()) {
        sb.append(" (attached but missing: ").append(names(acl.missing())).append(")");
      }
    }
    steps.add(new Step(stage, sb.toString()));
    int last = d.entryIndex() >= 0 ? d.entryIndex() : acl.entries().size() - 1;
    for (int i = 0; i <= last; i++) {
      AclEntry e = acl.entries().get(i);
      boolean matched = i == d.entryIndex();
      steps.add(new Step(stage, "  " + (matched ? "MATCH    " : "no match ") + e));
    }
    steps.add(new Step(stage, "  => " + d.action().wire() + " (" + basis(acl, d) + ")"));
  }

  private static String basis(Acl acl, Acl.Decision d) {
    return switch (d.basis()) {
      case RULE -> d.entry().policy() + " rule " + d.entry().rule();
      case SAME_NETWORK -> "traffic within " + acl.network() + " always passes";
      case NO_POLICY -> "no policy on " + acl.network();
      case IMPLICIT_DENY -> "no rule of the attached policies passes it: implicit deny";
    };
  }

  private static String denied(String where, Acl acl, Acl.Decision d) {
    return "denied "
        + where
        + " "
        + acl.network()
        + " by "
        + (d.entry() == null ? "implicit deny (no rule passes it)" : d.entry().toString());
  }

  private static String importsText(Vrf vrf) {
    if (vrf.imports().isEmpty()) {
      return " (own routes only)";
    }
    return " (own routes, and routes leaked from " + names(vrf.imports().keySet()) + ")";
  }

  /**
   * For a person reading a trace: where the unrouted address actually is, and that nothing joins
   * its network to the source's (a scan of the endpoints, on the explained path only).
   */
  private static String whereIs(CompiledView view, String address) {
    for (Endpoint e : view.endpoints()) {
      if (e.addresses().contains(address)) {
        return "; "
            + address
            + " is "
            + e.displayName()
            + " in network "
            + e.network()
            + ", which no network policy attached to both networks joins to it";
      }
    }
    return "; no interface Weft knows has " + address;
  }

  private static String networksText(Vrf vrf) {
    return vrf.imports().isEmpty()
        ? ": the destination is not in this network, and no network policy joins it to another"
        : ": the destination is in none of " + vrf.network() + ", " + names(vrf.imports().keySet());
  }

  private static String names(java.util.Collection<FqName> names) {
    if (names == null) {
      return "";
    }
    return String.join(", ", names.stream().map(FqName::toString).toList());
  }

  private static String describe(Endpoint e) {
    return e.displayName()
        + " (interface "
        + e.interfaceName().name()
        + ", "
        + String.join(" ", e.addresses())
        + ", network "
        + e.network()
        + (e.placed() ? ", node " + e.node() : ", not placed")
        + ")";
  }

  private static String orUnknown(String s) {
    return s == null ? "address unknown" : s;
  }

  private static Verdict drop(String reason, List<Step> steps) {
    if (steps != null) {
      steps.add(new Step("drop", reason));
    }
    return new Verdict(false, null, reason, stepsOf(steps));
  }

  private static List<Step> stepsOf(List<Step> steps) {
    return steps == null ? List.of() : steps;
  }
}
