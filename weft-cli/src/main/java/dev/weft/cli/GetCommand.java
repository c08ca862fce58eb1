package dev.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.weft.model.LabelRequirement;
import dev.weft.model.ObjectType;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code weft get KIND}: Kubernetes objects Weft watches, or Weft's own objects. */
@Command(
    name = "get",
    description =
        "List Kubernetes objects (pods, namespaces, nodes, services, ...) or Weft objects"
            + " (virtual-networks, virtual-machines, instance-ips, floating-ips, loadbalancers, ...),"
            + " or the compiled routing-instances (VRFs: routes, leaked networks, policies).")
final class GetCommand implements Callable<Integer> {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private static final Map<String, ObjectType> WEFT_ALIASES =
      Map.ofEntries(
          Map.entry("vn", ObjectType.VIRTUAL_NETWORK),
          Map.entry("vns", ObjectType.VIRTUAL_NETWORK),
          Map.entry("vm", ObjectType.VIRTUAL_MACHINE),
          Map.entry("vms", ObjectType.VIRTUAL_MACHINE),
          Map.entry("vmi", ObjectType.VIRTUAL_MACHINE_INTERFACE),
          Map.entry("vmis", ObjectType.VIRTUAL_MACHINE_INTERFACE),
          Map.entry("iip", ObjectType.INSTANCE_IP),
          Map.entry("iips", ObjectType.INSTANCE_IP),
          Map.entry("fip", ObjectType.FLOATING_IP),
          Map.entry("fips", ObjectType.FLOATING_IP),
          Map.entry("fip-pools", ObjectType.FLOATING_IP_POOL),
          Map.entry("lb", ObjectType.LOADBALANCER),
          Map.entry("lbs", ObjectType.LOADBALANCER),
          Map.entry("sg", ObjectType.SECURITY_GROUP),
          Map.entry("ipams", ObjectType.NETWORK_IPAM),
          Map.entry("network-policies", ObjectType.NETWORK_POLICY));

  @Parameters(index = "0", description = "What to list")
  String kind;

  @Option(
      names = {"-n", "--namespace"},
      description = "Namespace (default: default)")
  String namespace;

  @Option(
      names = {"-A", "--all-namespaces"},
      description = "Every namespace")
  boolean all;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "table",
      description = "table or json")
  String output;

  @Mixin ServerOption server;

  @Override
  public Integer call() throws Exception {
    if (!output.equals("table") && !output.equals("json")) {
      throw new IllegalArgumentException("-o " + output + ": expected table or json");
    }
    ServerClient client = server.client();
    if (ROUTING_INSTANCES.contains(kind)) {
      return routingInstances(client, System.out);
    }
    if (NODE_PORTS.contains(kind)) {
      return nodePorts(client, System.out);
    }
    Optional<KubeKinds.KubeKind> kube = KubeKinds.byName(kind);
    if (kube.isPresent()) {
      return kubernetes(client, kube.get(), System.out);
    }
    ObjectType type =
        Optional.ofNullable(WEFT_ALIASES.get(kind))
            .or(() -> ObjectType.byPlural(kind))
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "unknown kind \""
                            + kind
                            + "\"; Kubernetes kinds: "
                            + KubeKinds.names()
                            + "; Weft objects: "
                            + String.join(
                                ", ",
                                java.util.Arrays.stream(ObjectType.values())
                                    .map(ObjectType::plural)
                                    .toList())));
    return weft(client, type, System.out);
  }

  private static final java.util.Set<String> ROUTING_INSTANCES =
      java.util.Set.of("routing-instances", "routing-instance", "vrfs", "vrf");

  /** The compiled VRFs: one per network, with its routes, leaked networks and policies. */
  private int routingInstances(ServerClient client, PrintStream out) throws Exception {
    JsonNode list = client.get("/routing-instances");
    if (output.equals("json")) {
      out.println(JSON.writeValueAsString(list));
      return 0;
    }
    Table table = new Table(List.of("NETWORK", "ROUTES", "LEAKED-FROM", "POLICIES"));
    for (JsonNode vrf : list.path("routing-instances")) {
      String network = vrf.path("network").asText();
      int own = 0;
      int leaked = 0;
      for (JsonNode r : vrf.path("routes")) {
        if (r.path("origin").asText().equals(network)) {
          own++;
        } else {
          leaked++;
        }
      }
      List<String> imports = new ArrayList<>();
      vrf.path("imports").forEach(i -> imports.add(i.path("network").asText()));
      List<String> policies = new ArrayList<>();
      vrf.path("acl").path("policies").forEach(p -> policies.add(p.asText()));
      table.row(
          List.of(
              network,
              own + (leaked > 0 ? " (+" + leaked + " leaked)" : ""),
              imports.isEmpty() ? "-" : String.join(",", imports),
              policies.isEmpty() ? "-" : String.join(",", policies)));
    }
    table.print(out);
    return 0;
  }

  private static final java.util.Set<String> NODE_PORTS =
      java.util.Set.of("node-ports", "node-port");

  /** The compiled node ports: on every node's address, the service port each leads to. */
  private int nodePorts(ServerClient client, PrintStream out) throws Exception {
    JsonNode list = client.get("/node-ports");
    if (output.equals("json")) {
      out.println(JSON.writeValueAsString(list));
      return 0;
    }
    List<String> nodes = new ArrayList<>();
    list.path("nodes")
        .forEach(n -> nodes.add(n.path("node").asText() + "=" + n.path("address").asText()));
    Table table = new Table(List.of("NODE-PORT", "SERVICE-PORT", "LOADBALANCER", "BACKENDS"));
    for (JsonNode n : list.path("node-ports")) {
      table.row(
          List.of(
              n.path("node_port").asText(),
              n.path("service_port").asText(),
              n.path("loadbalancer").asText(),
              Integer.toString(n.path("backends").size())));
    }
    if (table.isEmpty()) {
      out.println("No node ports.");
    } else {
      table.print(out);
    }
    out.println(
        "On every node: "
            + (nodes.isEmpty() ? "(no node has an address)" : String.join(", ", nodes)));
    return 0;
  }

  private int kubernetes(ServerClient client, KubeKinds.KubeKind k, PrintStream out)
      throws Exception {
    String ns = all || !k.namespaced() ? null : namespace == null ? "default" : namespace;
    JsonNode list =
        client.get(
            "/k8s/" + k.plural() + (ns == null ? "" : "?namespace=" + ServerClient.encode(ns)));
    if (output.equals("json")) {
      out.println(JSON.writeValueAsString(list));
      return 0;
    }
    boolean showNs = k.namespaced() && ns == null;
    List<String> headers = new ArrayList<>();
    if (showNs) {
      headers.add("NAMESPACE");
    }
    headers.add("NAME");
    headers.addAll(
        switch (k.kind()) {
          case "Pod" -> List.of("STATUS", "IP", "NODE", "NETWORK");
          case "Namespace" -> List.of("STATUS", "ISOLATION", "NETWORK");
          case "Node" -> List.of("STATUS", "INTERNAL-IP");
          case "Service" -> List.of("TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORTS");
          case "Event" -> List.of("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE");
          case "NetworkPolicy" -> List.of("POD-SELECTOR", "POLICY-TYPES");
          case "Endpoints" -> List.of("ENDPOINTS");
          case "EndpointSlice" -> List.of("ADDRESSTYPE", "PORTS", "ENDPOINTS");
          default -> List.of("CREATED");
        });
    List<JsonNode> items = new ArrayList<>();
    list.path("items").forEach(items::add);
    if (k.kind().equals("Event")) {
      // As kubectl: oldest first, so the latest problem is the last line.
      items.sort(java.util.Comparator.comparing(GetCommand::eventTime));
    }
    Table table = new Table(headers);
    for (JsonNode item : items) {
      JsonNode m = item.path("metadata");
      List<String> row = new ArrayList<>();
      if (showNs) {
        row.add(m.path("namespace").asText());
      }
      row.add(m.path("name").asText());
      row.addAll(columns(k.kind(), item));
      table.row(row);
    }
    if (table.isEmpty()) {
      System.err.println(
          "No " + k.plural() + " found" + (ns == null ? "." : " in namespace " + ns + "."));
      return 0;
    }
    table.print(out);
    return 0;
  }

  private static List<String> columns(String kind, JsonNode item) {
    JsonNode m = item.path("metadata");
    JsonNode annotations = m.path("annotations");
    return switch (kind) {
      case "Pod" -> {
        String network = "";
        String status = annotations.path("k8s.v1.cni.cncf.io/network-status").asText("");
        if (!status.isEmpty()) {
          try {
            network = JSON.readTree(status).path(0).path("name").asText();
          } catch (java.io.IOException e) {
            network = "?";
          }
        }
        String phase = item.path("status").path("phase").asText("Pending");
        if (!m.path("deletionTimestamp").isMissingNode()) {
          phase = "Terminating";
        }
        yield List.of(
            phase,
            item.path("status").path("podIP").asText(""),
            item.path("spec").path("nodeName").asText(""),
            item.path("spec").path("hostNetwork").asBoolean() ? "(host)" : network);
      }
      case "Namespace" -> {
        String iso = annotations.path("opencontrail.org/isolation").asText("");
        String svc = annotations.path("opencontrail.org/isolation.service").asText("");
        String isolation =
            "true".equalsIgnoreCase(iso)
                ? ("false".equalsIgnoreCase(svc) ? "pods" : "pods+services")
                : iso.isEmpty() ? "-" : iso;
        yield List.of(
            "Active", isolation, annotations.path("opencontrail.org/network").asText("-"));
      }
      case "Node" -> {
        String ip = "";
        for (JsonNode a : item.path("status").path("addresses")) {
          if (a.path("type").asText().equals("InternalIP")) {
            ip = a.path("address").asText();
          }
        }
        String ready = "NotReady";
        for (JsonNode c : item.path("status").path("conditions")) {
          if (c.path("type").asText().equals("Ready") && c.path("status").asText().equals("True")) {
            ready = "Ready";
          }
        }
        yield List.of(ready, ip);
      }
      case "Service" -> {
        List<String> ports = new ArrayList<>();
        for (JsonNode p : item.path("spec").path("ports")) {
          // As kubectl prints them: 80:30080/TCP when the port has a node port.
          ports.add(
              p.path("port").asText()
                  + (p.path("nodePort").asInt(0) > 0 ? ":" + p.path("nodePort").asText() : "")
                  + "/"
                  + p.path("protocol").asText("TCP"));
        }
        List<String> external = new ArrayList<>();
        for (JsonNode i : item.path("status").path("loadBalancer").path("ingress")) {
          external.add(i.path("ip").asText());
        }
        item.path("spec").path("externalIPs").forEach(e -> external.add(e.asText()));
        String type = item.path("spec").path("type").asText("ClusterIP");
        if (external.isEmpty()) {
          external.add(type.equals("LoadBalancer") ? "<pending>" : "<none>");
        }
        yield List.of(
            type,
            item.path("spec").path("clusterIP").asText(""),
            String.join(",", external.stream().distinct().toList()),
            String.join(",", ports));
      }
      case "Event" -> {
        JsonNode o = item.path("involvedObject");
        String count =
            item.path("count").asInt(1) > 1 ? " (x" + item.path("count").asInt() + ")" : "";
        yield List.of(
            age(eventTime(item)) + count,
            item.path("type").asText(""),
            item.path("reason").asText(""),
            o.path("kind").asText("").toLowerCase(java.util.Locale.ROOT)
                + "/"
                + o.path("name").asText(""),
            item.path("message").asText("").replace('\n', ' '));
      }
      case "NetworkPolicy" -> {
        JsonNode spec = item.path("spec");
        List<String> types = new ArrayList<>();
        spec.path("policyTypes").forEach(t -> types.add(t.asText()));
        yield List.of(
            selector(spec.path("podSelector")),
            types.isEmpty() ? "(inferred)" : String.join(",", types));
      }
      case "Endpoints" -> {
        List<String> eps = new ArrayList<>();
        for (JsonNode subset : item.path("subsets")) {
          for (JsonNode a : subset.path("addresses")) {
            if (subset.path("ports").isEmpty()) {
              eps.add(a.path("ip").asText());
            }
            for (JsonNode p : subset.path("ports")) {
              eps.add(a.path("ip").asText() + ":" + p.path("port").asText());
            }
          }
        }
        yield List.of(abbreviated(eps));
      }
      case "EndpointSlice" -> {
        List<String> ports = new ArrayList<>();
        item.path("ports").forEach(p -> ports.add(p.path("port").asText("")));
        List<String> addresses = new ArrayList<>();
        for (JsonNode e : item.path("endpoints")) {
          boolean ready = e.path("conditions").path("ready").asBoolean(true);
          e.path("addresses")
              .forEach(a -> addresses.add(a.asText() + (ready ? "" : "(not ready)")));
        }
        yield List.of(
            item.path("addressType").asText(""),
            ports.isEmpty() ? "<unset>" : String.join(",", ports),
            abbreviated(addresses));
      }
      default -> List.of(m.path("creationTimestamp").asText(""));
    };
  }

  /** When an event last happened: lastTimestamp, else eventTime, else its creation. */
  private static String eventTime(JsonNode event) {
    for (String f : List.of("lastTimestamp", "eventTime", "firstTimestamp")) {
      String t = event.path(f).asText("");
      if (!t.isEmpty()) {
        return t;
      }
    }
    return event.path("metadata").path("creationTimestamp").asText("");
  }

  /** How long ago {@code timestamp} (RFC 3339) was, as kubectl prints ages: 42s, 5m, 3h, 2d. */
  static String age(String timestamp) {
    java.time.Instant at;
    try {
      at = java.time.Instant.parse(timestamp);
    } catch (java.time.format.DateTimeParseException e) {
      return timestamp.isEmpty() ? "<unknown>" : timestamp;
    }
    long s = Math.max(0, java.time.Duration.between(at, java.time.Instant.now()).toSeconds());
    if (s < 120) {
      return s + "s";
    }
    if (s < 120 * 60) {
      return s / 60 + "m";
    }
    if (s < 48 * 3600) {
      return s / 3600 + "h";
    }
    return s / 86400 + "d";
  }

  /**
   * A label selector as kubectl prints one: {@code app=web,tier in (a,b)}, empty as <none>. Each
   * requirement as the model renders it ({@link LabelRequirement#toString()}); one the API server
   * should have refused (an unknown operator, say) as written.
   */
  static String selector(JsonNode sel) {
    List<String> parts = new ArrayList<>();
    sel.path("matchLabels")
        .fields()
        .forEachRemaining(e -> parts.add(e.getKey() + "=" + e.getValue().asText()));
    for (JsonNode x : sel.path("matchExpressions")) {
      String key = x.path("key").asText();
      String op = x.path("operator").asText();
      List<String> values = new ArrayList<>();
      x.path("values").forEach(v -> values.add(v.asText()));
      String part;
      try {
        part = new LabelRequirement(key, LabelRequirement.Operator.parse(op), values).toString();
      } catch (IllegalArgumentException e) {
        part = key + " " + op + " (" + String.join(",", values) + ")";
      }
      parts.add(part);
    }
    return parts.isEmpty() ? "<none>" : String.join(",", parts);
  }

  /** The first three, and how many more, as kubectl shortens endpoint lists. */
  private static String abbreviated(List<String> values) {
    if (values.isEmpty()) {
      return "<none>";
    }
    if (values.size() <= 3) {
      return String.join(",", values);
    }
    return String.join(",", values.subList(0, 3)) + " + " + (values.size() - 3) + " more...";
  }

  /** What a floating IP leads to: the load balancer it fronts, or its interfaces. */
  private static String fronts(JsonNode fip) {
    JsonNode lb = fip.path("loadbalancer");
    if (!lb.isMissingNode() && !lb.isNull()) {
      return "loadbalancer " + name(lb.path("to"));
    }
    List<String> out = new ArrayList<>();
    for (JsonNode i : fip.path("interfaces")) {
      out.add(name(i.path("to")));
    }
    return out.isEmpty() ? "-" : String.join(",", out);
  }

  private int weft(ServerClient client, ObjectType type, PrintStream out) throws Exception {
    JsonNode list = client.get("/" + type.plural() + "?detail=true");
    List<JsonNode> items = new ArrayList<>();
    for (JsonNode item : list.path(type.plural())) {
      JsonNode o = item.has(type.singular()) ? item.get(type.singular()) : item;
      if (matchesNamespace(o)) {
        items.add(o);
      }
    }
    items.sort(java.util.Comparator.comparing(o -> fq(o)));
    if (output.equals("json")) {
      out.println(
          JSON.writeValueAsString(
              JSON.createObjectNode().set(type.plural(), JSON.valueToTree(items))));
      return 0;
    }
    Map<String, String> ipamSubnets = new HashMap<>();
    if (type == ObjectType.VIRTUAL_NETWORK) {
      for (JsonNode i : client.get("/network-ipams?detail=true").path("network-ipams")) {
        JsonNode ipam = i.has("network-ipam") ? i.get("network-ipam") : i;
        List<String> subnets = new ArrayList<>();
        ipam.path("subnets").forEach(s -> subnets.add(s.asText()));
        ipamSubnets.put(ipam.path("uuid").asText(), String.join(",", subnets));
      }
    }
    List<String> headers = new ArrayList<>(List.of("NAME"));
    headers.addAll(
        switch (type) {
          case VIRTUAL_NETWORK -> List.of("SUBNETS", "POLICIES", "OWNER");
          case INSTANCE_IP -> List.of("ADDRESS", "NETWORK", "OWNER");
          case VIRTUAL_MACHINE_INTERFACE -> List.of("NETWORK", "MAC", "OWNER");
          case FLOATING_IP -> List.of("ADDRESS", "FIXED-IP", "FRONTS", "OWNER");
          case NETWORK_IPAM -> List.of("SUBNETS", "OWNER");
          default -> List.of("UUID", "OWNER");
        });
    Table table = new Table(headers);
    for (JsonNode o : items) {
      List<String> row = new ArrayList<>(List.of(fq(o)));
      row.addAll(
          switch (type) {
            case VIRTUAL_NETWORK -> List.of(subnets(o, ipamSubnets), policies(o), owner(o));
            case INSTANCE_IP ->
                List.of(
                    o.path("address").asText(),
                    name(o.path("virtual_network").path("to")),
                    owner(o));
            case VIRTUAL_MACHINE_INTERFACE ->
                List.of(
                    name(o.path("virtual_network").path("to")),
                    o.path("mac_address").asText(),
                    owner(o));
            case FLOATING_IP ->
                List.of(
                    o.path("address").asText(),
                    o.path("fixed_ip_address").asText(""),
                    fronts(o),
                    owner(o));
            case NETWORK_IPAM -> {
              List<String> s = new ArrayList<>();
              o.path("subnets").forEach(x -> s.add(x.asText()));
              yield List.of(String.join(",", s), owner(o));
            }
            default -> List.of(o.path("uuid").asText(), owner(o));
          });
      table.row(row);
    }
    if (table.isEmpty()) {
      System.err.println("No " + type.plural() + " found.");
      return 0;
    }
    table.print(out);
    return 0;
  }

  private boolean matchesNamespace(JsonNode o) {
    if (all || namespace == null) {
      return true;
    }
    if (namespace.equals(o.path("annotations").path("namespace").asText(null))) {
      return true;
    }
    JsonNode fq = o.path("fq_name");
    return fq.size() >= 2 && fq.get(1).asText().endsWith("-" + namespace);
  }

  private static String fq(JsonNode o) {
    List<String> parts = new ArrayList<>();
    o.path("fq_name").forEach(p -> parts.add(p.asText()));
    return String.join(":", parts);
  }

  private static String name(JsonNode fqName) {
    return fqName.size() == 0 ? "" : fqName.get(fqName.size() - 1).asText();
  }

  private static String owner(JsonNode o) {
    JsonNode a = o.path("annotations");
    if (!"k8s".equals(a.path("owner").asText())) {
      return "user";
    }
    String ns = a.path("namespace").asText("");
    return a.path("kind").asText() + "/" + (ns.isEmpty() ? "" : ns + "/") + a.path("name").asText();
  }

  private static String subnets(JsonNode vn, Map<String, String> ipamSubnets) {
    List<String> out = new ArrayList<>();
    for (JsonNode link : vn.path("network_ipam_refs")) {
      if (link.path("subnets").isEmpty()) {
        String flat = ipamSubnets.get(link.path("ipam").path("uuid").asText());
        if (flat != null && !flat.isEmpty()) {
          out.add(flat + " (" + name(link.path("ipam").path("to")) + ")");
        }
      } else {
        link.path("subnets").forEach(s -> out.add(s.path("prefix").asText()));
      }
    }
    return String.join(",", out);
  }

  private static String policies(JsonNode vn) {
    List<String> out = new ArrayList<>();
    vn.path("network_policy_refs").forEach(p -> out.add(name(p.path("policy").path("to"))));
    return String.join(",", out);
  }
}
