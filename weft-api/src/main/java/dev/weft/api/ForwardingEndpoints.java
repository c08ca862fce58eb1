package dev.weft.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.api.config.ApiException;
import dev.weft.control.AclEntry;
import dev.weft.control.CompiledView;
import dev.weft.control.Compiler;
import dev.weft.control.NextHop;
import dev.weft.control.NodePort;
import dev.weft.control.Route;
import dev.weft.control.Vrf;
import dev.weft.control.policy.CompiledPolicy;
import dev.weft.control.policy.GroupKey;
import dev.weft.control.policy.PolicyView;
import dev.weft.model.FirewallPort;
import dev.weft.model.FqName;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The compiled forwarding state, for people and tools: {@code GET /routing-instances} (every VRF
 * with its leaked networks, ACL and routes), {@code GET /routing-instances/{fq-name}} (one, {@code
 * domain:project:network}), {@code GET /node-ports} (the nodes' addresses and the service behind
 * each node port) and {@code GET /policy-state} (Kubernetes NetworkPolicy as compiled: each policy
 * with its applied-to group and rules, each group with its member pods, each selected pod with its
 * policies: what an agent programs, and what to look at when a trace surprises). 503 when the
 * server compiles nothing.
 */
final class ForwardingEndpoints {
  private final Compiler compiler;

  ForwardingEndpoints(Compiler compiler) {
    this.compiler = compiler;
  }

  void register(Router router) {
    Endpoint.blocking(router.get("/routing-instances"), this::list);
    Endpoint.blocking(router.get("/routing-instances/:name"), this::one);
    Endpoint.blocking(router.get("/node-ports"), this::nodePorts);
    Endpoint.blocking(router.get("/policy-state"), this::policyState);
  }

  private Reply policyState(RoutingContext ctx) {
    return Reply.ok(
        require()
            .read(
                view -> {
                  PolicyView p = view.policies();
                  ObjectNode out = Http.object();
                  out.put("revision", view.revision());
                  ArrayNode policies = out.putArray("policies");
                  for (UUID id : p.policies()) {
                    CompiledPolicy c = p.policy(id);
                    ObjectNode o = policies.addObject();
                    o.put("uuid", id.toString());
                    o.put("name", c.name());
                    o.put("applied_to", c.appliedTo().toString());
                    o.put("ingress", c.ingress());
                    o.put("egress", c.egress());
                    rules(c.ingressRules(), o.putArray("ingress_rules"));
                    rules(c.egressRules(), o.putArray("egress_rules"));
                  }
                  ArrayNode groups = out.putArray("groups");
                  for (GroupKey k : p.groups()) {
                    ObjectNode g = groups.addObject();
                    g.put("group", k.toString());
                    ArrayNode members = g.putArray("members");
                    p.members(k).stream()
                        .map(m -> interfaceName(view, m))
                        .sorted()
                        .forEach(members::add);
                  }
                  ArrayNode pods = out.putArray("pods");
                  List<dev.weft.control.Endpoint> selected = new ArrayList<>();
                  for (dev.weft.control.Endpoint e : view.endpoints()) {
                    if (!p.appliedPolicies(e.interfaceUuid()).isEmpty()) {
                      selected.add(e);
                    }
                  }
                  selected.sort(Comparator.comparing(dev.weft.control.Endpoint::displayName));
                  for (dev.weft.control.Endpoint e : selected) {
                    ObjectNode o = pods.addObject();
                    o.put("pod", e.displayName());
                    o.put("interface", e.interfaceUuid().toString());
                    ArrayNode names = o.putArray("policies");
                    for (UUID id : p.appliedPolicies(e.interfaceUuid())) {
                      names.add(p.policy(id).name());
                    }
                  }
                  return out;
                }));
  }

  private static void rules(List<CompiledPolicy.Rule> rules, ArrayNode out) {
    for (CompiledPolicy.Rule r : rules) {
      ObjectNode o = out.addObject();
      ArrayNode peers = o.putArray("peers");
      for (CompiledPolicy.Peer peer : r.peers()) {
        if (peer.group() != null) {
          peers.addObject().put("group", peer.group().toString());
        } else {
          peers.addObject().put("ip_block", peer.block().toString());
        }
      }
      ArrayNode ports = o.putArray("ports");
      for (FirewallPort port : r.ports()) {
        ports.add(port.toString());
      }
    }
  }

  /** {@code namespace/pod} of a pod's interface; its UUID when it is not compiled (yet). */
  private static String interfaceName(CompiledView view, UUID interfaceUuid) {
    dev.weft.control.Endpoint e = view.endpoint(interfaceUuid);
    return e == null ? interfaceUuid.toString() : e.displayName();
  }

  private Reply nodePorts(RoutingContext ctx) {
    return Reply.ok(
        require()
            .read(
                view -> {
                  ObjectNode out = Http.object();
                  out.put("revision", view.revision());
                  ArrayNode nodes = out.putArray("nodes");
                  view.nodeAddresses()
                      .forEach((n, a) -> nodes.addObject().put("node", n).put("address", a));
                  ArrayNode ports = out.putArray("node-ports");
                  for (NodePort n : view.nodePorts()) {
                    ObjectNode o = ports.addObject();
                    o.put("node_port", n.nodePort().toString());
                    o.put("service_port", n.servicePort().toString());
                    o.put("loadbalancer", n.service().loadbalancer().toString());
                    o.put("loadbalancer_uuid", n.service().loadbalancerUuid().toString());
                    ArrayNode backends = o.putArray("backends");
                    for (NextHop.Interface b : n.backends()) {
                      nextHop(view, b, backends.addObject());
                    }
                  }
                  return out;
                }));
  }

  private Compiler require() {
    if (compiler == null) {
      throw ApiException.unavailable("this Weft server compiles no forwarding state");
    }
    return compiler;
  }

  private Reply list(RoutingContext ctx) {
    return Reply.ok(
        require()
            .read(
                view -> {
                  ObjectNode out = Http.object();
                  out.put("revision", view.revision());
                  ArrayNode vrfs = out.putArray("routing-instances");
                  List<Vrf> sorted = new ArrayList<>(view.vrfs());
                  sorted.sort(Comparator.comparing(Vrf::network));
                  for (Vrf v : sorted) {
                    vrfs.add(vrf(view, v));
                  }
                  return out;
                }));
  }

  private Reply one(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    FqName fq;
    try {
      fq = FqName.parse(name);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest(
          "\"" + name + "\" is not a network FQ name such as default-domain:k8s-default:vn-1");
    }
    return Reply.ok(
        require()
            .read(
                view -> {
                  Vrf v = view.vrf(fq);
                  if (v == null) {
                    throw ApiException.notFound("no routing instance for network " + fq);
                  }
                  ObjectNode out = vrf(view, v);
                  out.put("revision", view.revision());
                  return out;
                }));
  }

  private static ObjectNode vrf(CompiledView view, Vrf v) {
    ObjectNode o = Http.object();
    o.put("network", v.network().toString());
    ArrayNode imports = o.putArray("imports");
    for (Map.Entry<FqName, List<FqName>> e : v.imports().entrySet()) {
      ObjectNode i = imports.addObject();
      i.put("network", e.getKey().toString());
      e.getValue().forEach(p -> i.withArray("policies").add(p.toString()));
    }
    ObjectNode acl = o.putObject("acl");
    v.acl().policies().forEach(p -> acl.withArray("policies").add(p.toString()));
    v.acl().missing().forEach(p -> acl.withArray("missing_policies").add(p.toString()));
    ArrayNode entries = acl.putArray("entries");
    for (AclEntry e : v.acl().entries()) {
      entries
          .addObject()
          .put("policy", e.policy().toString())
          .put("rule", e.rule())
          .put("reversed", e.reversed())
          .put("action", e.action().wire())
          .put("text", e.describe());
    }
    ArrayNode routes = o.putArray("routes");
    for (Route r : v.routes()) {
      ObjectNode ro = routes.addObject();
      ro.put("prefix", r.prefix().cidr());
      ro.put("origin", r.origin().toString());
      nextHop(view, r.nextHop(), ro.putObject("next_hop"));
    }
    return o;
  }

  private static void nextHop(CompiledView view, NextHop hop, ObjectNode out) {
    if (hop instanceof NextHop.Interface i) {
      out.put("type", "interface");
      out.put("interface", i.interfaceUuid().toString());
      dev.weft.control.Endpoint e = view.endpoint(i.interfaceUuid());
      if (e != null) {
        out.put("interface_name", e.interfaceName().toString());
        if (!e.pod().isEmpty()) {
          out.put("pod", e.namespace() + "/" + e.pod());
        }
      }
      out.put("node", i.node());
      out.put("node_address", i.nodeAddress());
      if (i.translateTo() != null) {
        out.put("translate_to", i.translateTo()); // destination NAT: a floating IP, a backend
      }
      if (i.translatePort() > 0) {
        out.put("translate_port", i.translatePort());
      }
    } else if (hop instanceof NextHop.Ecmp ecmp) {
      out.put("type", "ecmp");
      ArrayNode members = out.putArray("members");
      for (NextHop.Interface m : ecmp.members()) {
        nextHop(view, m, members.addObject());
      }
    } else if (hop instanceof NextHop.Service svc) {
      out.put("type", "service");
      out.put("loadbalancer", svc.loadbalancer().toString());
      out.put("loadbalancer_uuid", svc.loadbalancerUuid().toString());
      ArrayNode listeners = out.putArray("listeners");
      for (NextHop.ServicePort port : new TreeSet<>(svc.listeners().keySet())) {
        ObjectNode l = listeners.addObject();
        l.put("port", port.toString());
        if (svc.nodePort(port) > 0) {
          l.put("node_port", svc.nodePort(port));
        }
        ArrayNode backends = l.putArray("backends");
        for (NextHop.Interface b : svc.listeners().get(port)) {
          nextHop(view, b, backends.addObject());
        }
      }
    }
  }
}
