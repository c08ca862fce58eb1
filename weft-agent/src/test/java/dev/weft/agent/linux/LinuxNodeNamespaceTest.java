package dev.weft.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.control.Endpoint;
import dev.weft.control.Jhash;
import dev.weft.control.World.Pod;
import dev.weft.dataplane.ForwardingModel;
import dev.weft.dataplane.Packet;
import dev.weft.dataplane.Step;
import dev.weft.dataplane.Verdict;
import dev.weft.model.Protocol;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Linux dataplane on real network namespaces: two nodes on an underlay bridge, pods wired into
 * them as the CNI will, each node reconciled from the {@link Scenario}'s compiled state; then real
 * packets (ping, TCP through socat) compared cell by cell with the forwarding model's verdicts.
 * Needs root, ip, nft and socat: skipped otherwise (CI runs as root and installs them). The tests
 * run in order on one lab: converge, idempotence, repair, deletions, teardown.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class LinuxNodeNamespaceTest {
  private static final Logger LOG = LoggerFactory.getLogger(LinuxNodeNamespaceTest.class);

  private Scenario scenario;
  private Lab lab;
  private final Map<String, String> nodeNs = new LinkedHashMap<>();
  private final Map<String, LinuxNode> nodes = new LinkedHashMap<>();
  private final Map<Pod, String> podNs = new LinkedHashMap<>();
  private String gatewayNs;
  private LinuxGateway gateway;
  private int sourcePort = 40000;

  @BeforeAll
  void lab() throws Exception {
    assumeTrue(Lab.available(), "needs root, ip, nft, socat, ping and bridge");
    scenario = new Scenario().build();
    lab = new Lab();
    nodeNs.put(Scenario.NODE1, lab.node("n1", Scenario.NODE1_ADDRESS));
    nodeNs.put(Scenario.NODE2, lab.node("n2", Scenario.NODE2_ADDRESS));
    for (Map.Entry<String, String> e : nodeNs.entrySet()) {
      lab.routeViaGateway(e.getValue());
      nodes.put(e.getKey(), new LinuxNode(e.getKey(), lab.shell, e.getValue()));
    }
    gatewayNs = lab.gateway("gw");
    gateway = new LinuxGateway("gw", lab.shell, gatewayNs);
    for (Pod p : scenario.pods()) {
      Endpoint e = scenario.world.endpoint(p.vmi());
      NodeState state = scenario.render(e.node());
      String ns = lab.pod(nodeNs.get(e.node()), e.namespace() + "-" + e.pod(), state.pod(p.id()));
      podNs.put(p, ns);
      lab.serve(ns, 8080, e.displayName());
    }
    lab.serve(podNs.get(scenario.yb), 9090, "y/b:9090");
  }

  @AfterAll
  void close() {
    if (lab != null) {
      lab.close();
    }
    if (scenario != null) {
      scenario.close();
    }
  }

  private Map<String, ReconcileReport> reconcileAll() {
    Map<String, ReconcileReport> out = new LinkedHashMap<>();
    for (Map.Entry<String, LinuxNode> e : nodes.entrySet()) {
      out.put(e.getKey(), e.getValue().reconcile(scenario.render(e.getKey())));
    }
    out.put("gateway", scenario.world.read(gateway::reconcile));
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Cells: the same packet through the model and through the kernel

  /** A packet from {@code from} to {@code to}; {@code member} is the service backend to take. */
  private record Cell(
      Pod from, String to, Protocol protocol, int port, int member, boolean expected) {}

  private Cell icmp(Pod from, Pod to, boolean expected) {
    return new Cell(from, to.address(), Protocol.ICMP, 0, -1, expected);
  }

  private Cell tcp(Pod from, String to, int port, boolean expected) {
    return new Cell(from, to, Protocol.TCP, port, -1, expected);
  }

  private Cell vip(Pod from, int member, boolean expected) {
    return new Cell(from, Scenario.VIP, Protocol.TCP, 80, member, expected);
  }

  /**
   * Sends the cell's packet through the model and the kernel and checks they agree: delivered or
   * not, and to which pod. A service cell uses a source port for which the kernel's {@code jhash}
   * picks the backend asked for, and asks the model for the same backend.
   */
  private void check(Cell c) {
    int port = c.protocol() == Protocol.ICMP ? 0 : nextSourcePort(c);
    Packet p = new Packet(c.from().id(), c.protocol(), c.from().address(), port, c.to(), c.port());
    Verdict model =
        scenario.world.read(v -> ForwardingModel.evaluate(v, p, new ArrayList<>(), c.member()));
    String what = p.describe() + (c.member() >= 0 ? " (backend " + c.member() + ")" : "");
    assertThat(model.delivered())
        .as("the model's verdict on %s: %s", what, model.reason())
        .isEqualTo(c.expected());
    String ns = podNs.get(c.from());
    if (c.protocol() == Protocol.ICMP) {
      assertThat(lab.ping(ns, c.to()))
          .as("kernel vs model on %s (model: %s)", what, model.reason())
          .isEqualTo(model.delivered());
      return;
    }
    String reply = lab.connect(ns, c.to(), c.port(), port);
    String expected =
        model.delivered()
            ? scenario.world.read(v -> v.endpoint(model.destinationInterface()).displayName())
            : null;
    assertThat(reply)
        .as("kernel vs model on %s (model: %s)", what, model.reason())
        .isEqualTo(expected);
  }

  private int nextSourcePort(Cell c) {
    int port = sourcePort++;
    if (c.member() >= 0) {
      while (Jhash.backend(c.from().address(), port, c.to(), c.port(), 2) != c.member()) {
        port = sourcePort++;
      }
    }
    return port;
  }

  private List<Cell> cells() {
    Scenario s = scenario;
    return List.of(
        icmp(s.xa, s.xc, true), // same network, same node
        tcp(s.xa, s.xb.address(), 8080, true), // same network, across nodes: VXLAN
        icmp(s.xa, s.xb, false), // x/b admits only tcp 8080 from pod=a: NetworkPolicy
        icmp(s.yb, s.xa, true), // blue to red: leaked routes, across nodes
        tcp(s.xa, s.yb.address(), 8080, true), // red to blue, passed by the network policy
        tcp(s.xa, s.yb.address(), 9090, false), // red to blue 9090: denied by its first rule
        icmp(s.xa, s.za, false), // green is joined to nothing: no route
        icmp(s.za, s.xb, false),
        vip(s.xa, 0, true), // the VIP to each backend, translated and back
        vip(s.xa, 1, true),
        tcp(s.ya, s.xb.address(), 8080, false), // ... not pod=a of y: NetworkPolicy
        tcp(s.ya, s.xc.address(), 8080, true), // x/c is selected by no policy
        vip(s.ya, 0, false), // through the VIP, judged on the chosen backend: x/b denies
        vip(s.ya, 1, true), // x/c accepts
        // y/b's floating IP: red reaches it through public (joined to red only); the flow is
        // translated on node-1 and routed in public's table both ways
        tcp(s.xa, Scenario.FIP, 8080, true),
        tcp(s.ya, Scenario.FIP, 8080, false)); // blue is not joined to public
  }

  // ---------------------------------------------------------------------------------------------

  @Test
  @Order(1)
  void reconciledNodesForwardAsTheModelSaysCellByCell() {
    long start = System.nanoTime();
    Map<String, ReconcileReport> reports = reconcileAll();
    LOG.info("first reconcile in {} ms: {}", (System.nanoTime() - start) / 1_000_000, reports);
    for (ReconcileReport r : reports.values()) {
      assertThat(r.errors()).isEmpty();
      assertThat(r.waiting()).isEmpty();
      assertThat(r.total()).isPositive();
    }
    // The backend order the kernel hashes over is the model's.
    List<String> backends =
        scenario.world.read(
            v ->
                v.service(scenario.web.uuid()).backends(Protocol.TCP, 80).stream()
                    .map(i -> i.translateTo())
                    .toList());
    assertThat(backends).containsExactly(scenario.xb.address(), scenario.xc.address());
    start = System.nanoTime();
    for (Cell c : cells()) {
      check(c);
    }
    LOG.info("{} cells in {} ms", cells().size(), (System.nanoTime() - start) / 1_000_000);
    // The kernel picks the backend Jhash predicts for every 5-tuple: the choice is a function of
    // the
    // flow alone, the same on every node (the seed is fixed), and the model can make it too.
    String ns = podNs.get(scenario.xa);
    for (int i = 0; i < 16; i++) {
      int port = sourcePort++;
      int member = Jhash.backend(scenario.xa.address(), port, Scenario.VIP, 80, 2);
      assertThat(lab.connect(ns, Scenario.VIP, 80, port))
          .as("backend for source port %d", port)
          .isEqualTo(member == 0 ? "x/b" : "x/c");
    }
  }

  @Test
  @Order(2)
  void theModelNamesTheBackendTheKernelPicksForRandomFlows() {
    java.util.Random random = new java.util.Random(42);
    for (Pod from : List.of(scenario.xa, scenario.ya)) {
      for (int i = 0; i < 6; i++) {
        int port = 20000 + random.nextInt(20000);
        Packet p = new Packet(from.id(), Protocol.TCP, from.address(), port, Scenario.VIP, 80);
        Verdict model = scenario.world.read(v -> ForwardingModel.evaluate(v, p, null));
        String expected =
            model.delivered()
                ? scenario.world.read(v -> v.endpoint(model.destinationInterface()).displayName())
                : null;
        assertThat(lab.connect(podNs.get(from), Scenario.VIP, 80, port))
            .as("kernel vs model on %s (model: %s)", p.describe(), model.reason())
            .isEqualTo(expected);
      }
    }
    // From outside: the gateway's choice of a node, then the node's of a local backend.
    for (int i = 0; i < 8; i++) {
      int port = 20000 + random.nextInt(20000);
      checkExternal(Scenario.WEB_FIP, 80, port);
    }
  }

  @Test
  @Order(3)
  void aPodReachesItselfThroughItsOwnServiceAsKubernetesSays() {
    // Hairpin: the kernel translates the source to the pod's gateway, as kube-proxy masquerades.
    check(vip(scenario.xc, 1, true));
    check(vip(scenario.xb, 0, true));
  }

  @Test
  @Order(4)
  void outsideReachesFloatingIpsAndNodePortsAsTheModelSays() {
    Scenario s = scenario;
    // web's floating IP: the gateway sends each flow to a node with a backend, which translates
    // to a local one, keeping the outside host's address, which x/b's ipBlock (the internet: all
    // but the private ranges) admits; x/c has no policy.
    checkExternal(Scenario.WEB_FIP, 80, sourcePortFor(Scenario.WEB_FIP, 80, s.xb), true);
    checkExternal(Scenario.WEB_FIP, 80, sourcePortFor(Scenario.WEB_FIP, 80, s.xc), true);
    // y/b's floating IP: public's ACL passes outside traffic, except tcp 9090.
    checkExternal(Scenario.FIP, 8080, sourcePort++, true);
    checkExternal(Scenario.FIP, 9090, sourcePort++, false);
    // Node ports: a backend on another node sees the node's address (source NAT, so the reply
    // comes back through it), a private one x/b's ipBlock excepts; a local one sees the outside
    // host's, and answers it by the node's default route.
    checkExternal(
        Scenario.NODE1_ADDRESS, 30080, sourcePortFor(Scenario.NODE1_ADDRESS, 30080, s.xb), false);
    checkExternal(
        Scenario.NODE1_ADDRESS, 30080, sourcePortFor(Scenario.NODE1_ADDRESS, 30080, s.xc), true);
    checkExternal(
        Scenario.NODE2_ADDRESS, 30080, sourcePortFor(Scenario.NODE2_ADDRESS, 30080, s.xb), true);
    checkExternal(
        Scenario.NODE2_ADDRESS, 30080, sourcePortFor(Scenario.NODE2_ADDRESS, 30080, s.xc), true);
    // No route at the gateway: a pod's own address in a network without route targets.
    checkExternal(s.xa.address(), 8080, sourcePort++, false);
  }

  /** A source port from the gateway for which the flow's hash picks {@code backend}. */
  private int sourcePortFor(String to, int port, Pod backend) {
    while (true) {
      int sport = sourcePort++;
      Verdict v =
          scenario.world.read(
              view -> {
                List<Step> steps = new ArrayList<>();
                ForwardingModel.fromGateway(
                    view, Protocol.TCP, LinuxGateway.CLIENT, sport, to, port, steps, -1);
                return new Verdict(
                    steps.stream().anyMatch(st -> st.detail().contains(backend.address())),
                    null,
                    "",
                    List.of());
              });
      if (v.delivered()) {
        return sport;
      }
    }
  }

  /** A connection from the gateway's namespace, through the model and through the kernel. */
  private void checkExternal(String to, int port, int sport) {
    checkExternal(to, port, sport, null);
  }

  private void checkExternal(String to, int port, int sport, Boolean expected) {
    List<Step> steps = new ArrayList<>();
    Verdict model =
        scenario.world.read(
            v ->
                ForwardingModel.fromGateway(
                    v, Protocol.TCP, LinuxGateway.CLIENT, sport, to, port, steps, -1));
    String what = "outside:" + sport + " -> " + to + ":" + port;
    if (expected != null) {
      assertThat(model.delivered()).as("the model on %s: %s", what, steps).isEqualTo(expected);
    }
    String name =
        model.delivered()
            ? scenario.world.read(v -> v.endpoint(model.destinationInterface()).displayName())
            : null;
    String reply = lab.connect(gatewayNs, to, port, sport);
    String expectedReply = name == null ? null : port == 9090 ? "y/b:9090" : name;
    assertThat(reply).as("kernel vs model on %s (model: %s)", what, steps).isEqualTo(expectedReply);
  }

  @Test
  @Order(5)
  void aSecondReconcileWritesNothing() {
    long start = System.nanoTime();
    Map<String, ReconcileReport> reports = reconcileAll();
    LOG.info("converged reconcile of two nodes in {} ms", (System.nanoTime() - start) / 1_000_000);
    for (Map.Entry<String, ReconcileReport> e : reports.entrySet()) {
      ReconcileReport r = e.getValue();
      assertThat(r.changes()).isEmpty();
      assertThat(r.writes()).isZero();
      assertThat(r.reads()).isEqualTo(e.getKey().equals("gateway") ? 4 : 9);
    }
  }

  @Test
  @Order(6)
  void whatIsRemovedByHandIsRestoredByTheNextReconcile() {
    String n1 = nodeNs.get(Scenario.NODE1);
    NodeState s1 = scenario.render(Scenario.NODE1);
    int red = s1.network(scenario.red.fqName()).vni();
    lab.run("ip", "-n", n1, "route", "del", scenario.yb.address() + "/32", "table", "" + red);
    lab.run("ip", "netns", "exec", n1, "nft", "flush", "map", "inet", "weft", "svc4");
    assertThat(lab.connect(podNs.get(scenario.xa), scenario.yb.address(), 8080, sourcePort++))
        .isNull();
    assertThat(lab.connect(podNs.get(scenario.xa), Scenario.VIP, 80, sourcePort++)).isNull();

    ReconcileReport r = nodes.get(Scenario.NODE1).reconcile(s1);
    assertThat(r.changes()).containsEntry("routes", 1).containsKey("nft");
    assertThat(r.writes()).isEqualTo(2); // one ip batch, one nft transaction
    check(tcp(scenario.xa, scenario.yb.address(), 8080, true));
    check(vip(scenario.xa, 0, true));
  }

  @Test
  @Order(7)
  void deletedObjectsTakeTheirKernelStateWithThem() {
    Endpoint xc = scenario.world.endpoint(scenario.xc.vmi());
    String xcDevice = scenario.render(Scenario.NODE1).pod(scenario.xc.id()).hostDevice();
    scenario.world.delete(scenario.service());
    scenario.world.delete(scenario.redBlue);
    scenario.world.put(
        dev.weft.control.World.linked(
            scenario.red, dev.weft.control.World.link(scenario.redServices, 1)),
        dev.weft.control.World.linked(
            scenario.blue, dev.weft.control.World.link(scenario.blueServices, 1)));
    scenario.world.delete(scenario.xc.objects());
    // The fast path: what changed, without reading the kernel; the full reconcile at the end of the
    // test finds nothing left to do, so the fast path converged to the same kernel state.
    for (Map.Entry<String, LinuxNode> e : nodes.entrySet()) {
      ReconcileReport r = e.getValue().update(scenario.render(e.getKey()));
      assertThat(r.reads()).isZero();
    }
    scenario.world.read(gateway::reconcile);

    String n1 = nodeNs.get(xc.node());
    assertThat(lab.run("ip", "-n", n1, "link", "show")).doesNotContain(xcDevice);
    assertThat(lab.run("ip", "netns", "exec", n1, "nft", "list", "map", "inet", "weft", "svc4"))
        .doesNotContain(Scenario.VIP);
    int red = scenario.render(Scenario.NODE1).network(scenario.red.fqName()).vni();
    String table = lab.run("ip", "-n", n1, "route", "show", "table", "" + red);
    assertThat(table)
        .doesNotContain(Scenario.VIP)
        .doesNotContain(scenario.yb.address())
        .doesNotContain(scenario.xc.address())
        .contains(scenario.xb.address());
    check(tcp(scenario.xa, scenario.yb.address(), 8080, false)); // red and blue no longer joined
    check(tcp(scenario.xa, scenario.xb.address(), 8080, true));
    for (ReconcileReport r : reconcileAll().values()) {
      assertThat(r.writes()).isZero();
    }
  }

  @Test
  @Order(8)
  void teardownLeavesNoDeviceRouteRuleTableOrNamespaceBehind() {
    gateway.teardown();
    assertThat(lab.run("ip", "netns", "exec", gatewayNs, "nft", "list", "tables"))
        .doesNotContain("weft");
    assertThat(lab.run("ip", "-n", gatewayNs, "rule", "show"))
        .doesNotContain("" + LinuxGateway.RULE_PRIORITY + ":");
    assertThat(lab.run("ip", "-n", gatewayNs, "addr", "show")).doesNotContain(LinuxGateway.CLIENT);
    assertThat(gateway.teardown().writes()).isZero();
    for (Map.Entry<String, LinuxNode> e : nodes.entrySet()) {
      e.getValue().teardown();
      String ns = nodeNs.get(e.getKey());
      assertThat(lab.run("ip", "-n", ns, "-o", "link", "show"))
          .doesNotContain("wfp")
          .doesNotContain("wfx");
      for (String family : List.of("-4", "-6")) {
        String rules = lab.run("ip", "-n", ns, family, "rule", "show");
        assertThat(rules.lines().filter(l -> !l.matches(".*lookup (local|main|default)\\s*$")))
            .as("rules left in %s", ns)
            .isEmpty();
        String routes = lab.run("ip", "-n", ns, family, "route", "show", "table", "all");
        assertThat(routes.lines().filter(l -> l.matches(".*table \\d{7,8}\\b.*")))
            .as("routes left in Weft's tables in %s", ns)
            .isEmpty();
      }
      assertThat(lab.run("ip", "netns", "exec", ns, "nft", "list", "tables"))
          .doesNotContain("weft");
      assertThat(e.getValue().reconcile(NodeState.empty(e.getKey())).writes()).isZero();
    }
    lab.close();
    assertThat(lab.run("ip", "netns", "list")).doesNotContain(lab.prefix);
    assertThatCode(lab::close).doesNotThrowAnyException();
  }
}
