package dev.weft.agent.linux;

import static dev.weft.control.World.network;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.router;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.agent.Agent;
import dev.weft.agent.node.NodeAgent;
import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The node agent end to end on real namespaces: a store holding pods of one node, the agent started
 * on that node's namespace, the CNI's requests over its socket, and real packets between the pods
 * it wires. Then restart (nothing written, traffic unaffected), repair on the timer, DEL and GC.
 * Needs root, ip, nft and socat: skipped otherwise. The tests run in order on one lab.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class AgentNamespaceTest {
  private static final String NODE1 = "node-1";
  private static final Duration INTERVAL = Duration.ofMillis(500);

  private final VirtualRouter node1 = router(NODE1, "172.31.250.1");
  private final VirtualRouter node2 = router("node-2", "172.31.250.2");
  private final VirtualNetwork red = network("red");
  private final Pod xa = pod("x", "a", red, node1, "10.32.0.1");
  private final Pod xb = pod("x", "b", red, node1, "10.32.0.2");
  private final Pod xc = pod("x", "c", red, node2, "10.32.0.3");
  private final Pod xd = pod("x", "d", red, node1, "10.32.0.4");

  private World world;
  private Lab lab;
  private String nodeNs;
  private final List<String> podNamespaces = new ArrayList<>();
  private Path dir;
  private Path socket;
  private Agent agent;
  private CniClient cni;

  @BeforeAll
  void start() throws Exception {
    assumeTrue(Lab.available(), "needs root, ip, nft, socat, ping and bridge");
    world = new World();
    world.put(node1, node2, red);
    world.put(xa, xb, xc);
    lab = new Lab();
    nodeNs = lab.node("n1", "172.31.250.1");
    dir = Files.createTempDirectory("weft-agent-test");
    socket = dir.resolve("run/cni.sock");
    agent = startAgent();
    cni = new CniClient(socket);
  }

  private Agent startAgent() throws Exception {
    Agent a =
        Agent.start(
            world.store().kv(),
            lab.shell,
            new Agent.Config(
                NodeAgent.Options.of(NODE1).withNetns(nodeNs).withReconcileInterval(INTERVAL),
                socket,
                "127.0.0.1",
                0),
            Clock.systemUTC());
    Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> a.node().status().ready());
    return a;
  }

  @AfterAll
  void close() {
    if (agent != null) {
      agent.close();
    }
    if (lab != null) {
      for (String ns : podNamespaces) {
        lab.shell.run(List.of("ip", "netns", "del", ns), null, Duration.ofSeconds(10));
      }
      lab.close();
    }
    if (world != null) {
      world.close();
    }
  }

  /** A pod's network namespace, as the container runtime makes it: empty but for lo. */
  private String sandbox(String name) {
    String ns = lab.prefix + "-" + name;
    lab.run("ip", "netns", "add", ns);
    podNamespaces.add(ns);
    lab.run("ip", "-n", ns, "link", "set", "lo", "up");
    return ns;
  }

  private static String path(String ns) {
    return "/var/run/netns/" + ns;
  }

  private JsonNode add(String containerId, String ns, Pod p, long timeoutMs) {
    return cni.call(
        CniClient.request(
            "ADD",
            containerId,
            path(ns),
            "x",
            p.vm().fqName().toString().split("__")[2],
            p.vm().uuid().toString(),
            timeoutMs));
  }

  private String podNs(String name) {
    return lab.prefix + "-" + name;
  }

  @Test
  @Order(1)
  void addWiresEachPodAndTheyReachEachOther() throws Exception {
    String a = sandbox("xa");
    String b = sandbox("xb");
    JsonNode ra = add("ca", a, xa, 5000);
    assertThat(ra.path("ok").asBoolean()).as("%s", ra).isTrue();
    JsonNode result = ra.path("result");
    assertThat(result.path("ips").get(0).path("address").asText()).isEqualTo("10.32.0.1/32");
    assertThat(result.path("ips").get(0).path("gateway").asText()).isEqualTo(Naming.GATEWAY4);
    assertThat(result.path("interfaces").get(1).path("sandbox").asText()).isEqualTo(path(a));
    assertThat(add("cb", b, xb, 5000).path("ok").asBoolean()).isTrue();

    assertThat(lab.run("ip", "-n", a, "addr", "show", "dev", "eth0")).contains("10.32.0.1/32");
    assertThat(lab.run("ip", "-n", nodeNs, "-d", "link", "show"))
        .contains("alias weft:ca")
        .contains("alias weft:cb");
    assertThat(lab.ping(a, "10.32.0.2")).isTrue();
    lab.serve(b, 8080, "x/b");
    assertThat(lab.connect(a, "10.32.0.2", 8080, 41000)).isEqualTo("x/b");
  }

  @Test
  @Order(2)
  void aRepeatedAddReturnsTheSameResultAndChangesNothing() {
    JsonNode first = add("ca", podNs("xa"), xa, 5000);
    JsonNode again = add("ca", podNs("xa"), xa, 5000);
    assertThat(again).isEqualTo(first);
    assertThat(agent.node().status().lastReport().writes()).isZero();
    assertThat(lab.ping(podNs("xa"), "10.32.0.2")).isTrue();
  }

  @Test
  @Order(3)
  void addWaitsForAPodWeftLearnsOfMeanwhile() throws Exception {
    String d = sandbox("xd");
    CompletableFuture<JsonNode> pending =
        CompletableFuture.supplyAsync(() -> add("cd", d, xd, 20000));
    // The ADD waits: the pod is not in the store yet.
    Awaitility.await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> !pending.isDone());
    world.put(xd);
    JsonNode r = pending.get();
    assertThat(r.path("ok").asBoolean()).as("%s", r).isTrue();
    assertThat(lab.ping(d, "10.32.0.1")).isTrue();
  }

  @Test
  @Order(4)
  void addForAPodWeftDoesNotKnowFailsWithAnActionableMessage() {
    String e = sandbox("xe");
    JsonNode unknown = cni.call(CniClient.request("ADD", "ce", path(e), "x", "nope", null, 500));
    assertThat(unknown.path("ok").asBoolean()).isFalse();
    assertThat(unknown.path("code").asInt()).isEqualTo(100);
    assertThat(unknown.path("details").asText())
        .startsWith("pod x/nope has no interface on node node-1 after 500 ms: ")
        .contains("is the kube-manager running");

    JsonNode elsewhere = add("cc", e, xc, 500);
    assertThat(elsewhere.path("code").asInt()).isEqualTo(101);
    assertThat(elsewhere.path("details").asText())
        .isEqualTo(
            "pod x/c has no interface on node node-1 after 500 ms: the pod is bound to node-2");

    JsonNode otherUid =
        cni.call(
            CniClient.request(
                "ADD", "ce", path(e), "x", "a", "00000000-0000-0000-0000-000000000001", 300));
    assertThat(otherUid.path("code").asInt()).isEqualTo(100);
    assertThat(otherUid.path("details").asText()).contains("only with UID");
    assertThat(lab.run("ip", "-n", e, "link", "show")).doesNotContain("eth0");
  }

  @Test
  @Order(5)
  void theProgrammedRevisionFollowsEveryCompiledChangeEvenOnesForOtherNodes() {
    // A pod of node-2 changes nothing on node-1, and still the agent says it holds that revision.
    long revision = world.put(pod("x", "f", red, node2, "10.32.0.6"));
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> agent.node().status().programmedRevision() >= revision);
    assertThat(agent.node().status().failures()).isZero();
  }

  @Test
  @Order(5)
  void statusCheckAndIntrospectionReportTheNode() throws Exception {
    assertThat(
            cni.call(CniClient.JSON.createObjectNode().put("command", "STATUS"))
                .path("ok")
                .asBoolean())
        .isTrue();
    JsonNode check =
        cni.call(CniClient.request("CHECK", "ca", path(podNs("xa")), "x", "a", null, 0));
    assertThat(check.path("ok").asBoolean()).as("%s", check).isTrue();
    lab.run("ip", "-n", podNs("xa"), "addr", "del", "10.32.0.1/32", "dev", "eth0");
    JsonNode broken =
        cni.call(CniClient.request("CHECK", "ca", path(podNs("xa")), "x", "a", null, 0));
    assertThat(broken.path("code").asInt()).isEqualTo(5);
    assertThat(broken.path("details").asText()).contains("addresses");
    assertThat(add("ca", podNs("xa"), xa, 5000).path("ok").asBoolean()).isTrue(); // ADD repairs
    lab.run("ip", "-n", podNs("xa"), "neigh", "del", "169.254.1.1", "dev", "eth0");
    lab.run("ip", "-n", podNs("xa"), "link", "set", "eth0", "mtu", "1400");
    broken = cni.call(CniClient.request("CHECK", "ca", path(podNs("xa")), "x", "a", null, 0));
    assertThat(broken.path("details").asText())
        .contains("no IPv4 neighbour entry for the gateway 169.254.1.1 on eth0")
        .contains("has MTU 1400");
    assertThat(add("ca", podNs("xa"), xa, 5000).path("ok").asBoolean()).isTrue();
    lab.run("ip", "-n", podNs("xa"), "route", "del", "default");
    broken = cni.call(CniClient.request("CHECK", "ca", path(podNs("xa")), "x", "a", null, 0));
    assertThat(broken.path("details").asText())
        .contains("no IPv4 default route via 169.254.1.1 dev eth0");
    assertThat(add("ca", podNs("xa"), xa, 5000).path("ok").asBoolean()).isTrue();
    check = cni.call(CniClient.request("CHECK", "ca", path(podNs("xa")), "x", "a", null, 0));
    assertThat(check.path("ok").asBoolean()).as("%s", check).isTrue();

    HttpClient http = HttpClient.newHttpClient();
    String base = agent.introspectionUrl();
    HttpResponse<String> state =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/state.json")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(state.statusCode()).isEqualTo(200);
    JsonNode s = CniClient.JSON.readTree(state.body());
    assertThat(s.path("node").asText()).isEqualTo(NODE1);
    assertThat(s.path("ready").asBoolean()).isTrue();
    assertThat(s.path("pods").findValuesAsText("containerId")).contains("ca", "cb", "cd");
    assertThat(s.path("routes").size()).isPositive();
    HttpResponse<String> page =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(page.body()).contains("node-1").contains("x/a").contains("wfp");
    HttpResponse<String> health =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/healthz")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(health.statusCode()).isEqualTo(200);
  }

  @Test
  @Order(6)
  void aRouteDeletedByHandIsRestoredByTheTimer() {
    int vni = agent.node().status().desired().network(red.fqName()).vni();
    lab.run("ip", "-n", nodeNs, "route", "del", "10.32.0.2/32", "table", "" + vni);
    Awaitility.await()
        .atMost(INTERVAL.multipliedBy(10))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                lab.run("ip", "-n", nodeNs, "route", "show", "table", "" + vni)
                    .contains("10.32.0.2"));
    assertThat(lab.ping(podNs("xa"), "10.32.0.2")).isTrue();
  }

  @Test
  @Order(6)
  void anNftElementDeletedByHandIsRestoredByTheTimer() {
    // pod_src4 (host veth . source address): without it, every packet pod a sends is dropped.
    String device =
        agent.node().status().desired().interfaces().stream()
            .filter(p -> p.addresses().stream().anyMatch(a -> a.split("/")[0].equals("10.32.0.1")))
            .findFirst()
            .orElseThrow()
            .hostDevice();
    String listed = "ip netns exec " + nodeNs + " nft list set inet weft pod_src4";
    assertThat(lab.run(listed.split(" "))).contains(device + "\" . 10.32.0.1");
    // It fails when the element is missing; what a listing after it shows depends on the timer.
    lab.run(
        "ip",
        "netns",
        "exec",
        nodeNs,
        "nft",
        "delete element inet weft pod_src4 { \"" + device + "\" . 10.32.0.1 }");
    Awaitility.await()
        .atMost(INTERVAL.multipliedBy(10))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> lab.run(listed.split(" ")).contains(device + "\" . 10.32.0.1"));
    assertThat(lab.ping(podNs("xa"), "10.32.0.2")).isTrue();
    assertThat(lab.connect(podNs("xa"), "10.32.0.2", 8080, 41003)).isEqualTo("x/b");
  }

  @Test
  @Order(7)
  void aRestartedAgentWritesNothingAndTrafficGoesOn() throws Exception {
    agent.close();
    agent = null;
    assertThat(lab.ping(podNs("xa"), "10.32.0.2")).isTrue();
    assertThat(lab.connect(podNs("xa"), "10.32.0.2", 8080, 41001)).isEqualTo("x/b");
    agent = startAgent();
    ReconcileReport first = agent.node().status().lastReport();
    assertThat(first.changes()).isEmpty();
    assertThat(first.writes()).isZero();
    assertThat(lab.connect(podNs("xa"), "10.32.0.2", 8080, 41002)).isEqualTo("x/b");
  }

  @Test
  @Order(8)
  void delRemovesTheVethAndIsIdempotent() {
    JsonNode del = cni.call(CniClient.request("DEL", "cb", "", "x", "b", null, 0));
    assertThat(del.path("ok").asBoolean()).as("%s", del).isTrue();
    assertThat(lab.run("ip", "-n", nodeNs, "-d", "link", "show")).doesNotContain("weft:cb");
    assertThat(lab.run("ip", "-n", podNs("xb"), "link", "show")).doesNotContain("eth0");
    assertThat(lab.ping(podNs("xa"), "10.32.0.2")).isFalse();
    assertThat(
            cni.call(CniClient.request("DEL", "cb", "", "x", "b", null, 0)).path("ok").asBoolean())
        .isTrue();
  }

  @Test
  @Order(9)
  void gcRemovesTheVethsOfContainersNotListed() {
    JsonNode gc = cni.call(CniClient.gc(List.of("ca")));
    assertThat(gc.path("ok").asBoolean()).as("%s", gc).isTrue();
    String links = lab.run("ip", "-n", nodeNs, "-d", "link", "show");
    assertThat(links).contains("weft:ca").doesNotContain("weft:cd");
  }
}
