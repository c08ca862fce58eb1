package dev.weft.dataplane.bench;

import static dev.weft.control.policy.Policies.block;
import static dev.weft.control.policy.Policies.declared;
import static dev.weft.control.policy.Policies.exists;
import static dev.weft.control.policy.Policies.in;
import static dev.weft.control.policy.Policies.named;
import static dev.weft.control.policy.Policies.notIn;
import static dev.weft.control.policy.Policies.peers;
import static dev.weft.control.policy.Policies.pods;
import static dev.weft.control.policy.Policies.podsIn;
import static dev.weft.control.policy.Policies.policy;
import static dev.weft.control.policy.Policies.ports;
import static dev.weft.control.policy.Policies.rule;
import static dev.weft.control.policy.Policies.sel;
import static dev.weft.control.policy.Policies.tcp;
import static dev.weft.control.policy.Policies.udp;

import dev.weft.control.World;
import dev.weft.control.policy.PolicyEngine;
import dev.weft.model.ContainerPort;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.FqName;
import dev.weft.model.Names;
import dev.weft.model.Owner;
import dev.weft.model.Project;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.model.VirtualNetwork;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A cluster for the policy benchmarks, as decoded store objects: {@code namespaces} namespaces
 * ({@code ns-N}, labelled {@code team=team-(N/5)} and {@code env=prod|dev}), four pods each ({@code
 * web}, {@code api}, {@code db}, {@code cache}: labels {@code app}, {@code tier}, {@code version},
 * {@code pod-template-hash}; named container ports), and three NetworkPolicies each, the mix a
 * microservice namespace typically has:
 *
 * <ul>
 *   <li>{@code db}: ingress to {@code app=db} from {@code app in (api)} of the namespace, on the
 *       named port {@code postgres}; every 7th namespace also from pods with {@code tier notin
 *       (frontend)} that carry a {@code version};
 *   <li>{@code api}: ingress to {@code app=api} from {@code app=web} of the namespace, and from
 *       {@code app=web} of the namespaces of its team ({@code namespaceSelector team=...}), on 8080
 *       and the named port {@code grpc};
 *   <li>{@code web}: ingress to {@code app=web} from outside ({@code ipBlock 0.0.0.0/0 except
 *       10.0.0.0/8}) and from the {@code ingress-nginx} namespace by name, on 8080; egress to
 *       {@code app=api} of the namespace on 8080, to {@code app=cache} of the team on 6379, and DNS
 *       (UDP 53 to the service range); every 10th namespace has a default deny ({@code podSelector
 *       {}}, no rules) instead.
 * </ul>
 *
 * That is about 135,000 distinct groups for 25,000 namespaces: an applied-to group per policy, a
 * peer group per namespace ({@code app in (api)}), two per team across its five namespaces.
 */
final class PolicyWorld {
  static final String[] APPS = {"web", "api", "db", "cache"};

  final int namespaces;
  final VirtualNetwork network = World.network("k8s-default-pod-network");
  final List<Project> projects = new ArrayList<>();
  final List<VirtualMachineInterface> interfaces = new ArrayList<>();
  final List<FirewallPolicy> policies = new ArrayList<>();

  PolicyWorld(int namespaces) {
    this.namespaces = namespaces;
    for (int n = 0; n < namespaces; n++) {
      String ns = "ns-" + n;
      Map<String, String> nsLabels = new LinkedHashMap<>();
      nsLabels.put("team", "team-" + (n / 5));
      nsLabels.put("env", n % 3 == 0 ? "prod" : "dev");
      projects.add(World.namespace(ns, nsLabels));
      for (int a = 0; a < APPS.length; a++) {
        interfaces.add(vmi(ns, APPS[a] + "-0", podLabels(APPS[a], n, 0), declaredPorts(APPS[a])));
      }
      policies.addAll(policies(n));
    }
  }

  static Map<String, String> podLabels(String app, int n, int generation) {
    Map<String, String> l = new LinkedHashMap<>();
    l.put("app", app);
    l.put("tier", app.equals("web") ? "frontend" : "backend");
    l.put("version", generation % 2 == 0 ? "v1" : "v2");
    l.put("pod-template-hash", Integer.toHexString((n * 31 + app.hashCode()) & 0xfffff));
    return l;
  }

  static List<ContainerPort> declaredPorts(String app) {
    return switch (app) {
      case "web" -> List.of(declared("http", Protocol.TCP, 8080));
      case "api" ->
          List.of(declared("http", Protocol.TCP, 8080), declared("grpc", Protocol.TCP, 9090));
      case "db" -> List.of(declared("postgres", Protocol.TCP, 5432));
      default -> List.of(declared("redis", Protocol.TCP, 6379));
    };
  }

  static List<FirewallPolicy> policies(int n) {
    String ns = "ns-" + n;
    String team = "team-" + (n / 5);
    List<FirewallPolicy> out = new ArrayList<>();
    out.add(
        policy(ns, "db", sel("app=db"))
            .ingress(
                n % 7 == 0
                    ? rule(
                        peers(
                            pods(sel("", in("app", "api"))),
                            pods(sel("", notIn("tier", "frontend"), exists("version")))),
                        ports(named(Protocol.TCP, "postgres")))
                    : rule(
                        peers(pods(sel("", in("app", "api")))),
                        ports(named(Protocol.TCP, "postgres"))))
            .build());
    out.add(
        policy(ns, "api", sel("app=api"))
            .ingress(
                rule(
                    peers(pods(sel("app=web")), podsIn(sel("team=" + team), sel("app=web"))),
                    ports(tcp(8080), named(Protocol.TCP, "grpc"))))
            .build());
    if (n % 10 == 0) {
      out.add(policy(ns, "default-deny", sel("")).ingress().build());
    } else {
      out.add(
          policy(ns, "web", sel("app=web"))
              .ingress(
                  rule(peers(block("0.0.0.0/0", "10.0.0.0/8")), ports(tcp(8080))),
                  rule(
                      peers(
                          podsIn(
                              sel(PolicyEngine.NAMESPACE_NAME_LABEL + "=ingress-nginx"), sel(""))),
                      ports(tcp(8080))))
              .egress(
                  rule(peers(pods(sel("app=api"))), ports(tcp(8080))),
                  rule(peers(podsIn(sel("team=" + team), sel("app=cache"))), ports(tcp(6379))),
                  rule(peers(block("10.96.0.0/12")), ports(udp(53))))
              .build());
    }
    return out;
  }

  /** A pod's interface as the kube-manager writes it, not placed on a node. */
  VirtualMachineInterface vmi(
      String ns, String pod, Map<String, String> labels, List<ContainerPort> ports) {
    UUID id = World.uuid("vmi", ns + "/" + pod);
    return new VirtualMachineInterface(
        id,
        FqName.of(Names.DEFAULT_DOMAIN, "k8s-" + ns, "k8s__" + ns + "__" + pod),
        null,
        Owner.pod("k8s", ns, pod, "").annotations(),
        null,
        Ref.to(network),
        World.mac(id),
        List.of(),
        List.of(),
        labels,
        ports);
  }

  /** {@code v} with {@code labels}. */
  static VirtualMachineInterface relabelled(VirtualMachineInterface v, Map<String, String> labels) {
    return new VirtualMachineInterface(
        v.uuid(),
        v.fqName(),
        v.parent(),
        v.annotations(),
        v.virtualMachine(),
        v.virtualNetwork(),
        v.macAddress(),
        v.securityGroups(),
        v.tags(),
        labels,
        v.ports());
  }
}
