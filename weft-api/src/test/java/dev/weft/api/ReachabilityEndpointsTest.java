package dev.weft.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.api.reach.Convergence;
import dev.weft.api.reach.Reachability;
import dev.weft.control.Compiler;
import dev.weft.model.ConfigObject;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.FloatingIp;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpPrefix;
import dev.weft.model.IpamLink;
import dev.weft.model.LabelSelector;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerMember;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.NetworkIpam;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.Project;
import dev.weft.model.Ref;
import dev.weft.model.VirtualMachine;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import dev.weft.store.memory.MemoryConfigStore;
import dev.weft.store.objects.ObjectStore;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code /probe}, {@code /trace} and {@code /routing-instances} over a small hand-built store: two
 * networks, three pods, one of them not yet placed on a node.
 */
class ReachabilityEndpointsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final MemoryConfigStore kv = new MemoryConfigStore();
  private final ObjectStore objects = new ObjectStore(kv);
  private final List<JsonNode> pods = new ArrayList<>();
  private final List<JsonNode> services = new ArrayList<>();
  private final AtomicBoolean converged = new AtomicBoolean(true);
  private Compiler compiler;
  private ConfigApiServer server;
  private final HttpClient http = HttpClient.newHttpClient();
  private VirtualNetwork blue;
  private VirtualNetwork red;
  private Project project;
  private VirtualRouter node1;

  @BeforeEach
  void start() {
    project = create(new Project(UUID.randomUUID(), FqName.of("default-domain", "p"), null, null));
    NetworkIpam ipam =
        create(
            new NetworkIpam(
                UUID.randomUUID(), project.fqName().child("ipam"), Ref.to(project), null, null));
    blue = create(network("blue", ipam, "10.1.0.0/24"));
    red = create(network("red", ipam, "10.2.0.0/24"));
    node1 =
        create(
            new VirtualRouter(
                UUID.randomUUID(),
                FqName.of("default-global-system-config", "node-1"),
                null,
                null,
                "192.0.2.11"));
    pod("a", blue, "10.1.0.2", node1, 80);
    pod("b", blue, "10.1.0.3", node1, 80);
    pod("c", red, "10.2.0.2", null, 8080);
    compiler = Compiler.follow(objects.cache());
    KubernetesGateway gateway =
        new KubernetesGateway() {
          @Override
          public JsonNode list(String kind, String namespace) {
            boolean svc = kind.equals("services");
            ObjectNode list = JSON.createObjectNode().put("kind", svc ? "ServiceList" : "PodList");
            ArrayNode items = list.putArray("items");
            (svc ? services : pods).forEach(items::add);
            return list;
          }

          @Override
          public JsonNode apply(JsonNode object) {
            throw new UnsupportedOperationException();
          }

          @Override
          public boolean delete(JsonNode object) {
            throw new UnsupportedOperationException();
          }
        };
    Convergence convergence =
        timeout ->
            new Convergence.Result(
                converged.get(), kv.revision(), converged.get() ? "" : "Pod/default/x pending");
    server =
        new ConfigApiServer(objects, gateway)
            .withReachability(new Reachability(compiler, gateway, convergence))
            .start("127.0.0.1", 0);
  }

  @AfterEach
  void stop() {
    server.close();
    compiler.close();
    objects.close();
    kv.close();
  }

  private <T extends ConfigObject> T create(T o) {
    objects.commit(objects.begin().create(o));
    return o;
  }

  private VirtualNetwork network(String name, NetworkIpam ipam, String cidr) {
    return new VirtualNetwork(
        UUID.randomUUID(),
        project.fqName().child(name),
        Ref.to(project),
        null,
        List.of(new IpamLink(Ref.to(ipam), List.of(dev.weft.model.Subnet.of(cidr)))),
        List.of(),
        List.of());
  }

  private void pod(String name, VirtualNetwork net, String address, VirtualRouter node, int port) {
    Owner owner = Owner.pod("k8s", "default", name, UUID.randomUUID().toString());
    VirtualMachine vm =
        create(
            new VirtualMachine(
                UUID.randomUUID(),
                FqName.of("k8s__default__" + name),
                null,
                owner.annotations(),
                node == null ? null : Ref.to(node)));
    VirtualMachineInterface vmi =
        create(
            new VirtualMachineInterface(
                UUID.randomUUID(),
                project.fqName().child("k8s__default__" + name),
                Ref.to(project),
                owner.annotations(),
                Ref.to(vm),
                Ref.to(net),
                "02:00:00:00:00:0" + pods.size(),
                List.of(),
                List.of()));
    create(
        new InstanceIp(
            UUID.randomUUID(),
            FqName.of("k8s__default__" + name),
            null,
            owner.annotations(),
            address,
            null,
            IpPrefix.parse(address.substring(0, address.lastIndexOf('.')) + ".0/24"),
            null,
            net.fqName().toString(),
            Ref.to(net),
            List.of(Ref.to(vmi)),
            false));
    pods.add(
        JSON.valueToTree(
            Map.of(
                "metadata",
                Map.of("namespace", "default", "name", name),
                "spec",
                Map.of(
                    "containers",
                    List.of(Map.of("name", "c", "ports", List.of(Map.of("containerPort", port))))),
                "status",
                Map.of("phase", "Running"))));
  }

  private record Answer(int status, JsonNode body) {}

  private Answer get(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(server.url() + path)).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), JSON.readTree(r.body()));
  }

  private static String q(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void probeGivesTheMatrixOverDeclaredPortsWhenNoPortIsAsked() throws Exception {
    Answer a = get("/probe");
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.body().path("sources").toString())
        .isEqualTo("[\"default/a\",\"default/b\",\"default/c\"]");
    assertThat(a.body().path("destinations").toString())
        .isEqualTo("[\"default/a:80/TCP\",\"default/b:80/TCP\",\"default/c:8080/TCP\"]");
    // c is not on a node yet: it reaches itself only; a and b share network blue.
    assertThat(a.body().path("matrix").toString()).isEqualTo("[\"..X\",\"..X\",\"XX.\"]");
    assertThat(a.body().path("convergence").path("converged").asBoolean()).isTrue();
  }

  @Test
  void probeTakesPortsInTheOrderGiven() throws Exception {
    Answer a = get("/probe?port=53/udp&port=" + q("443/TCP"));
    assertThat(a.body().path("destinations").get(0).asText()).isEqualTo("default/a:53/UDP");
    assertThat(a.body().path("destinations").get(1).asText()).isEqualTo("default/a:443/TCP");
    assertThat(a.body().path("destinations")).hasSize(6);
  }

  @Test
  void aProbeThatCouldNotConvergeSaysSo() throws Exception {
    converged.set(false);
    Answer a = get("/probe?port=80");
    assertThat(a.status()).isEqualTo(200);
    assertThat(a.body().path("convergence").path("converged").asBoolean()).isFalse();
    assertThat(a.body().path("convergence").path("held").asText()).contains("Pod/default/x");
  }

  @Test
  void badProbeRequestsAreRefusedClearly() throws Exception {
    assertThat(get("/probe?port=80/XTP").body().path("error").asText())
        .contains("80/XTP")
        .contains("TCP, UDP or SCTP");
    assertThat(get("/probe?port=99999").status()).isEqualTo(400);
    assertThat(get("/probe?to=nodes").body().path("error").asText()).contains("pods, services");
    assertThat(get("/probe?timeout=soon").status()).isEqualTo(400);
  }

  @Test
  void traceExplainsADeliveredPacketAndItsReply() throws Exception {
    Answer a = get("/trace?source=default/a&destination=b&port=80/TCP");
    assertThat(a.status()).isEqualTo(200);
    JsonNode t = a.body();
    assertThat(t.path("verdict").asText()).isEqualTo("delivered");
    assertThat(t.path("packet").asText()).isEqualTo("tcp 10.1.0.2:49152 -> 10.1.0.3:80");
    List<String> stages = new ArrayList<>();
    t.path("steps").forEach(s -> stages.add(s.path("stage").asText()));
    assertThat(stages)
        .containsSubsequence("source", "vrf", "route", "policy-out", "tunnel", "policy-in")
        .contains("deliver");
    assertThat(t.path("reply").path("verdict").asText()).isEqualTo("delivered");
    assertThat(t.path("reply").path("steps").get(0).path("detail").asText())
        .contains("reply of the allowed flow");
  }

  @Test
  void traceExplainsADrop() throws Exception {
    JsonNode t = get("/trace?source=default/a&destination=default/c&port=8080/TCP").body();
    assertThat(t.path("verdict").asText()).isEqualTo("dropped");
    assertThat(t.path("reason").asText()).contains("no route to 10.2.0.2");
    assertThat(t.has("reply")).isFalse();
  }

  @Test
  void traceToAnAddressAndWithTheDestinationsDeclaredPort() throws Exception {
    JsonNode t = get("/trace?source=default/a&destination=10.1.0.3&port=80").body();
    assertThat(t.path("verdict").asText()).isEqualTo("delivered");
    Answer noPort = get("/trace?source=default/a&destination=10.1.0.3");
    assertThat(noPort.status()).isEqualTo(400); // an address declares no port
    assertThat(noPort.body().path("error").asText()).contains("--port");
    JsonNode byName = get("/trace?source=default/a&destination=default/c").body();
    assertThat(byName.path("port").asText()).isEqualTo("8080/TCP");
  }

  @Test
  void badTraceRequestsAreRefusedClearly() throws Exception {
    assertThat(get("/trace?destination=default/b").status()).isEqualTo(400);
    Answer unknown = get("/trace?source=default/nope&destination=default/b&port=80");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.body().path("error").asText()).contains("default/nope");
    assertThat(get("/trace?source=a/b/c&destination=default/b&port=80").status()).isEqualTo(400);
  }

  @Test
  void traceNamesTheNetworkPolicyThatDeniedAndPolicyStateShowsWhatItSelects() throws Exception {
    create(
        new FirewallPolicy(
            UUID.randomUUID(),
            FqName.of("default-domain", "k8s-default", "deny-all"),
            null,
            new Owner("k8s", "NetworkPolicy", "default", "deny-all", "").annotations(),
            "default",
            LabelSelector.ALL,
            true,
            false,
            List.of(),
            List.of()));
    JsonNode t = get("/trace?source=default/a&destination=default/b&port=80/TCP").body();
    assertThat(t.path("verdict").asText()).isEqualTo("dropped");
    assertThat(t.path("reason").asText())
        .isEqualTo(
            "denied by NetworkPolicy: ingress default/b: denied: selected by NetworkPolicy"
                + " default/deny-all and no rule allows tcp from 10.1.0.2 (default/a) to port 80");
    List<String> details = new ArrayList<>();
    t.path("steps")
        .forEach(s -> details.add(s.path("stage").asText() + ": " + s.path("detail").asText()));
    assertThat(details)
        .contains("egress: egress default/a: no NetworkPolicy selects this pod for egress");
    assertThat(t.has("reply")).isFalse();
    assertThat(get("/probe?port=80").body().path("matrix").toString())
        .isEqualTo("[\".XX\",\"X.X\",\"XX.\"]");

    JsonNode state = get("/policy-state").body();
    assertThat(state.path("policies").get(0).path("name").asText()).isEqualTo("default/deny-all");
    assertThat(state.path("policies").get(0).path("applied_to").asText()).isEqualTo("default/{}");
    assertThat(state.path("policies").get(0).path("ingress_rules")).isEmpty();
    assertThat(state.path("groups").get(0).path("members").toString())
        .isEqualTo("[\"default/a\",\"default/b\",\"default/c\"]");
    assertThat(state.path("pods")).hasSize(3);
    assertThat(state.path("pods").get(1).path("policies").toString())
        .isEqualTo("[\"default/deny-all\"]");
  }

  @Test
  void routingInstancesShowRoutesAndPolicies() throws Exception {
    Answer all = get("/routing-instances");
    assertThat(all.status()).isEqualTo(200);
    assertThat(all.body().path("routing-instances")).hasSize(2);
    Answer one = get("/routing-instances/" + q(blue.fqName().toString()));
    assertThat(one.body().path("routes")).hasSize(2);
    assertThat(one.body().path("routes").get(0).path("next_hop").path("pod").asText())
        .isEqualTo("default/a");
    assertThat(get("/routing-instances/" + q("default-domain:p:green")).status()).isEqualTo(404);
    assertThat(objects.cache().count(ObjectType.VIRTUAL_NETWORK)).isEqualTo(2);
  }

  @Test
  void withoutAForwardingModelTheRoutesAnswer503() throws Exception {
    try (ConfigApiServer bare = new ConfigApiServer(objects).start("127.0.0.1", 0)) {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(bare.url() + "/probe")).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(503);
    }
  }

  @Test
  void fromOutsideOnlyFloatingIpsInNetworksWithRouteTargetsAreReachable() throws Exception {
    Answer none = get("/probe?from=external&port=80");
    assertThat(none.body().path("sources").toString()).isEqualTo("[\"external\"]");
    assertThat(none.body().path("matrix").toString()).isEqualTo("[\"XXX\"]");

    NetworkIpam ipam = objects.cache().<NetworkIpam>list(ObjectType.NETWORK_IPAM).get(0).object();
    VirtualNetwork pub =
        create(
            new VirtualNetwork(
                UUID.randomUUID(),
                project.fqName().child("public"),
                Ref.to(project),
                null,
                List.of(
                    new IpamLink(Ref.to(ipam), List.of(dev.weft.model.Subnet.of("192.0.2.0/24")))),
                List.of("target:64512:100"),
                List.of()));
    dev.weft.model.FloatingIpPool pool =
        create(
            new dev.weft.model.FloatingIpPool(
                UUID.randomUUID(), pub.fqName().child("pool"), Ref.to(pub), null, List.of()));
    VirtualMachineInterface aInterface =
        objects.cache().<VirtualMachineInterface>list(ObjectType.VIRTUAL_MACHINE_INTERFACE).stream()
            .filter(st -> st.object().fqName().name().endsWith("__a"))
            .findFirst()
            .orElseThrow()
            .object();
    create(
        new dev.weft.model.FloatingIp(
            UUID.randomUUID(),
            pool.fqName().child("fip-a"),
            Ref.to(pool),
            null,
            "192.0.2.10",
            List.of(Ref.to(aInterface)),
            null));
    Answer some = get("/probe?from=external&port=80");
    assertThat(some.body().path("matrix").toString()).isEqualTo("[\".XX\"]");

    JsonNode t = get("/trace?source=external&destination=default/a&port=80/TCP").body();
    assertThat(t.path("verdict").asText()).as(t.toString()).isEqualTo("delivered");
    assertThat(t.path("packet").asText()).contains("-> 192.0.2.10:80");
    assertThat(t.toString()).contains("destination NAT").contains("target:64512:100");
    JsonNode b = get("/trace?source=external&destination=default/b&port=80/TCP").body();
    assertThat(b.path("verdict").asText()).isEqualTo("dropped");
    assertThat(b.path("reason").asText()).contains("no floating IP");
  }

  private VirtualMachineInterface interfaceOf(String pod) {
    return objects
        .cache()
        .<VirtualMachineInterface>list(ObjectType.VIRTUAL_MACHINE_INTERFACE)
        .stream()
        .filter(st -> st.object().fqName().name().endsWith("__" + pod))
        .findFirst()
        .orElseThrow()
        .object();
  }

  /**
   * A service whose load balancer (UUID = the service's UID) has its VIP in blue and a listener on
   * 80/TCP, node port or null, to pod a on 80; and its Kubernetes object.
   */
  private Loadbalancer service(String name, String vip, Integer nodePort) {
    UUID uid = UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
    Loadbalancer lb =
        create(
            new Loadbalancer(
                uid,
                blue.fqName().child(name),
                null,
                null,
                "native",
                vip,
                Ref.to(blue),
                List.of()));
    LoadbalancerListener l =
        create(
            new LoadbalancerListener(
                UUID.randomUUID(),
                lb.fqName().child("80"),
                Ref.to(lb),
                null,
                Ref.to(lb),
                dev.weft.model.Protocol.TCP,
                80,
                nodePort));
    LoadbalancerPool pool =
        create(
            new LoadbalancerPool(
                UUID.randomUUID(),
                l.fqName().child("pool"),
                Ref.to(l),
                null,
                Ref.to(l),
                dev.weft.model.Protocol.TCP,
                "ecmp"));
    create(
        new LoadbalancerMember(
            UUID.randomUUID(),
            pool.fqName().child("a"),
            Ref.to(pool),
            null,
            "10.1.0.2",
            80,
            Ref.to(interfaceOf("a"))));
    Map<String, Object> port = new java.util.HashMap<>(Map.of("port", 80, "protocol", "TCP"));
    if (nodePort != null) {
      port.put("nodePort", nodePort);
    }
    services.add(
        JSON.valueToTree(
            Map.of(
                "metadata",
                Map.of("namespace", "default", "name", name, "uid", uid.toString()),
                "spec",
                Map.of(
                    "type",
                    nodePort == null ? "ClusterIP" : "LoadBalancer",
                    "clusterIP",
                    vip,
                    "ports",
                    List.of(port)))));
    return lb;
  }

  private static String via(JsonNode trace) {
    return trace.path("via").asText();
  }

  @Test
  void fromOutsideAServiceIsReachedThroughItsFloatingIpsOrNodePortsOnly() throws Exception {
    service("internal", "10.1.0.100", null);
    Loadbalancer web = service("web", "10.1.0.101", 30080);

    JsonNode outside = get("/probe?from=external&to=services").body();
    assertThat(outside.path("destinations").toString())
        .isEqualTo("[\"default/internal:80/TCP\",\"default/web:80/TCP\"]");
    // web has a node port, on node-1's address; internal only its cluster IP.
    assertThat(outside.path("matrix").toString()).isEqualTo("[\"X.\"]");
    // From pods, both through their cluster IPs (c is on no node).
    assertThat(get("/probe?to=services").body().path("matrix").toString())
        .isEqualTo("[\"..\",\"..\",\"XX\"]");

    JsonNode none =
        get("/trace?source=external&destination=service/default/internal&port=80").body();
    assertThat(none.path("verdict").asText()).isEqualTo("dropped");
    assertThat(none.path("reason").asText())
        .isEqualTo(
            "service default/internal has no floating IP, external IP or node port: nothing"
                + " outside the cluster reaches it");

    JsonNode byNodePort =
        get("/trace?source=external&destination=" + q("service/default/web")).body();
    assertThat(byNodePort.path("verdict").asText())
        .as(byNodePort.toString())
        .isEqualTo("delivered");
    assertThat(byNodePort.path("port").asText()).isEqualTo("80/TCP");
    assertThat(via(byNodePort)).isEqualTo("node port 30080 of node-1 (192.0.2.11)");
    assertThat(byNodePort.path("packet").asText()).endsWith("-> 192.0.2.11:30080");
    assertThat(byNodePort.toString()).contains("node port 30080/TCP is service");
    assertThat(byNodePort.path("reply").path("verdict").asText()).isEqualTo("delivered");
    assertThat(byNodePort.path("reply").toString())
        .contains("source NAT back on node-1: 10.1.0.2:80 -> 192.0.2.11:30080");

    JsonNode toNode = get("/trace?source=external&destination=192.0.2.11&port=30080/TCP").body();
    assertThat(toNode.path("verdict").asText()).isEqualTo("delivered");
    assertThat(via(toNode)).isEqualTo("node port 30080 of node-1 (192.0.2.11)");
    JsonNode unknownPort = get("/trace?source=external&destination=192.0.2.11&port=30999").body();
    assertThat(unknownPort.path("reason").asText()).contains("has no node port 30999/TCP");

    NetworkIpam ipam = objects.cache().<NetworkIpam>list(ObjectType.NETWORK_IPAM).get(0).object();
    VirtualNetwork pub =
        create(
            new VirtualNetwork(
                UUID.randomUUID(),
                project.fqName().child("public"),
                Ref.to(project),
                null,
                List.of(
                    new IpamLink(
                        Ref.to(ipam), List.of(dev.weft.model.Subnet.of("198.51.100.0/24")))),
                List.of("target:64512:100"),
                List.of()));
    FloatingIpPool pool =
        create(
            new FloatingIpPool(
                UUID.randomUUID(), pub.fqName().child("pool"), Ref.to(pub), null, List.of()));
    create(
        new FloatingIp(
            UUID.randomUUID(),
            pool.fqName().child("web"),
            Ref.to(pool),
            null,
            "198.51.100.10",
            List.of(),
            null,
            Ref.to(web)));
    JsonNode byFip = get("/trace?source=external&destination=svc/default/web&port=80/TCP").body();
    assertThat(byFip.path("verdict").asText()).as(byFip.toString()).isEqualTo("delivered");
    assertThat(via(byFip)).isEqualTo("floating IP 198.51.100.10:80");
    assertThat(byFip.path("ways").toString())
        .isEqualTo("[\"floating IP 198.51.100.10:80\",\"node port 30080 of node-1 (192.0.2.11)\"]");
    assertThat(byFip.toString()).contains("floating IP of service").contains("destination NAT");
    assertThat(get("/probe?from=external&to=services").body().path("matrix").toString())
        .isEqualTo("[\"X.\"]");

    JsonNode nodePorts = get("/node-ports").body();
    assertThat(nodePorts.path("nodes").toString())
        .isEqualTo("[{\"node\":\"node-1\",\"address\":\"192.0.2.11\"}]");
    assertThat(nodePorts.path("node-ports").get(0).path("node_port").asText())
        .isEqualTo("30080/TCP");
    assertThat(nodePorts.path("node-ports").get(0).path("loadbalancer_uuid").asText())
        .isEqualTo(web.uuid().toString());
    JsonNode publicRoutes = get("/routing-instances/" + q(pub.fqName().toString())).body();
    JsonNode hop = publicRoutes.path("routes").get(0).path("next_hop");
    assertThat(hop.path("type").asText()).isEqualTo("service");
    assertThat(hop.path("listeners").get(0).path("node_port").asInt()).isEqualTo(30080);
    assertThat(hop.path("listeners").get(0).path("backends").get(0).path("pod").asText())
        .isEqualTo("default/a");

    Answer missing = get("/trace?source=external&destination=service/default/nope&port=80");
    assertThat(missing.status()).isEqualTo(404);
  }
}
