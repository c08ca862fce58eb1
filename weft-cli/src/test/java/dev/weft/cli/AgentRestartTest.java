package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.cli.lab.Lab;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer.OrderAnnotation;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Killing and restarting a node's agent mid-traffic, on the lab ({@code weft up --lab}): the lab
 * restarts a killed agent; established flows between pods keep working throughout (no exchange on
 * them takes a second); the restarted agent finds its node as it left it and writes nothing; new
 * connections work after it. Then the agent's repair loop: a route and an nftables element deleted
 * by hand are back, and connectivity with them, within the agent's reconcile interval. Stopping the
 * lab restarts nothing. Needs root, ip, nft and socat: skipped otherwise. The tests run in order on
 * one lab and print the figures they measure.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(OrderAnnotation.class)
class AgentRestartTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PODS =
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: a, namespace: default}
      spec:
        nodeName: node-1
        containers: [{name: c, image: x, ports: [{containerPort: 80}]}]
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: b, namespace: default}
      spec:
        nodeName: node-2
        containers: [{name: c, image: x, ports: [{containerPort: 80}]}]
      ---
      apiVersion: v1
      kind: Pod
      metadata: {name: c, namespace: default}
      spec:
        nodeName: node-1
        containers: [{name: c, image: x, ports: [{containerPort: 80}]}]
      """;

  /** The echo servers' port: not a declared one, which the pods' own processes listen on. */
  private static final int ECHO = 7777;

  private static final Duration EXCHANGE_BOUND = Duration.ofSeconds(1);
  private static final Duration SLACK = Duration.ofMillis(1500);

  private InProcessWeft weft;
  private Lab lab;
  private String prefix;
  private final Map<String, String> podNs = new TreeMap<>();
  private final Map<String, String> podIp = new TreeMap<>();
  private final List<Process> servers = new ArrayList<>();
  private final List<Flow> flows = new ArrayList<>();
  private Flow aToB;
  private Flow aToC;

  @BeforeAll
  void start() throws Exception {
    String missing = Lab.missingRequirements();
    assumeTrue(missing == null, () -> "skipped: " + missing);
    assumeTrue(onPath("socat") && onPath("ss"), "skipped: needs socat and ss");
    weft = InProcessWeft.start(WeftSettings.defaults(), true);
    lab = weft.lab();
    prefix = lab.prefix();
    Path manifests = Files.createTempFile("agent-restart-", ".yaml");
    try {
      Files.writeString(manifests, PODS, StandardCharsets.UTF_8);
      weft.runOk("apply", "-f", manifests.toString());
    } finally {
      Files.deleteIfExists(manifests);
    }
    weft.awaitPodsRunning();
    weft.awaitClusterSettled();
    for (JsonNode p : weft.pods().path("items")) {
      String name = p.path("metadata").path("name").asText();
      podIp.put(name, p.path("status").path("podIP").asText());
      podNs.put(name, lab.podNamespace("default", name));
    }
    assertThat(podNs).containsOnlyKeys("a", "b", "c").doesNotContainValue(null);
    // The probe waits until every agent has programmed what it measures.
    assertThat(probeReal()).isEqualTo(probeModel());
    for (String server : List.of("b", "c")) {
      servers.add(echoServer(podNs.get(server)));
    }
    aToB = open("a", "b");
    aToC = open("a", "c");
  }

  @AfterAll
  void stop() {
    flows.forEach(Flow::close);
    for (Process p : servers) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    if (weft != null) {
      weft.close();
    }
  }

  @Test
  @Order(1)
  void killingTheAgentOfTheClientsNodeDisturbsNoFlow() throws Exception {
    killAndRestart("node-1");
  }

  @Test
  @Order(2)
  void killingTheAgentOfTheServersNodeDisturbsNoFlow() throws Exception {
    killAndRestart("node-2");
  }

  @Test
  @Order(3)
  void aRouteDeletedByHandIsRestoredByTheRepairLoop() throws Exception {
    String ns = lab.nodeNamespace("node-1");
    String b = podIp.get("b");
    String route =
        run("ip", "-n", ns, "route", "show", "table", "all")
            .lines()
            .filter(l -> l.startsWith(b + " ") && l.contains(" table "))
            .findFirst()
            .orElseThrow(() -> new AssertionError("node-1 has no Weft route to pod b (" + b + ")"));
    String table = route.replaceAll(".* table (\\S+).*", "$1");
    Snapshot before = Snapshot.of(ns);
    long deleted = System.nanoTime();
    run("ip", "-n", ns, "route", "del", b, "table", table);
    // Not asserted: the timer may have repaired it already.
    System.out.printf(
        "agent-restart: without the route, a new connection from a to b %s%n",
        newConnectionWorks("a", "b") ? "still worked (repaired already)" : "failed");

    Repair r =
        awaitRepair(
            () ->
                run("ip", "-n", ns, "route", "show", "table", table)
                    .lines()
                    .anyMatch(l -> l.startsWith(b + " ")),
            deleted);
    System.out.printf(
        "agent-restart: route %s table %s deleted by hand: back after %d ms, new connections"
            + " after %d ms, the established flow answered after %d ms (reconcile interval %d"
            + " ms)%n",
        b, table, r.kernelMs(), r.connectMs(), r.flowMs(), lab.agentReconcileInterval().toMillis());
    assertRepairedInTime(r);
    Snapshot.of(ns).assertSameAs(before, "node-1 after the repair");
  }

  @Test
  @Order(4)
  void anNftElementDeletedByHandIsRestoredByTheRepairLoop() throws Exception {
    String ns = lab.nodeNamespace("node-1");
    String a = podIp.get("a");
    // pod_src4 (host veth . source address): what lets pod a's packets in at all.
    JsonNode set =
        JSON.readTree(
            run("ip", "netns", "exec", ns, "nft", "-j", "list", "set", "inet", "weft", "pod_src4"));
    String device = null;
    for (JsonNode o : set.path("nftables")) {
      for (JsonNode e : o.path("set").path("elem")) {
        JsonNode concat = e.path("concat");
        if (concat.size() == 2 && concat.get(1).asText().equals(a)) {
          device = concat.get(0).asText();
        }
      }
    }
    assertThat(device).as("the pod_src4 element of pod a (%s) on node-1: %s", a, set).isNotNull();
    String element = "{ \"" + device + "\" . " + a + " }";
    Snapshot before = Snapshot.of(ns);
    long deleted = System.nanoTime();
    run("ip", "netns", "exec", ns, "nft", "delete element inet weft pod_src4 " + element);
    System.out.printf(
        "agent-restart: without the element, a new connection from a to b %s%n",
        newConnectionWorks("a", "b") ? "still worked (repaired already)" : "failed");

    String dev = device;
    Repair r =
        awaitRepair(
            () -> {
              String listed =
                  run(
                      "ip",
                      "netns",
                      "exec",
                      ns,
                      "nft",
                      "-j",
                      "list",
                      "set",
                      "inet",
                      "weft",
                      "pod_src4");
              return listed.contains("\"" + dev + "\"") && listed.contains("\"" + a + "\"");
            },
            deleted);
    System.out.printf(
        "agent-restart: nft element pod_src4 %s deleted by hand: back after %d ms, new"
            + " connections after %d ms, the established flow answered after %d ms (reconcile"
            + " interval %d ms)%n",
        element, r.kernelMs(), r.connectMs(), r.flowMs(), lab.agentReconcileInterval().toMillis());
    assertRepairedInTime(r);
    Snapshot.of(ns).assertSameAs(before, "node-1 after the repair");
  }

  @Test
  @Order(5)
  void stoppingTheLabRestartsNoAgent() {
    flows.forEach(Flow::close);
    flows.clear();
    for (Process p : servers) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    servers.clear();
    weft.close();
    weft = null;
    // Longer than the first restart's backoff: a restart racing the stop would show by then.
    Awaitility.await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .until(() -> labProcesses().isEmpty());
  }

  // -----------------------------------------------------------------------------------------------

  private void killAndRestart(String node) throws Exception {
    String ns = lab.nodeNamespace(node);
    Snapshot before = Snapshot.of(ns);
    int starts = lab.agentStarts(node);
    long pid = lab.agentPid(node);
    // Traffic every 100 ms on both flows, from before the kill until a second after the restart.
    Exchanger traffic = new Exchanger(List.of(aToB, aToC));
    traffic.start();
    try {
      Thread.sleep(300);
      long killed = System.nanoTime();
      assertThat(ProcessHandle.of(pid).orElseThrow().destroyForcibly()).isTrue();
      JsonNode first = lab.awaitAgentReady(node, starts + 1, Duration.ofSeconds(90));
      long ready = System.nanoTime();
      Thread.sleep(1000);
      traffic.stop();
      assertThat(lab.agentPid(node)).isNotEqualTo(pid);
      System.out.printf(
          "agent-restart: agent of %s killed (SIGKILL), ready again after %d ms; %d exchanges on"
              + " 2 established flows meanwhile, the slowest %d ms, the longest gap between"
              + " answers %d ms; restarted agent's first reconcile: %s%n",
          node,
          (ready - killed) / 1_000_000,
          traffic.exchanges,
          traffic.slowestMs,
          traffic.longestGapMs,
          first.path("lastReport"));
      assertThat(traffic.failure).as("the established flows").isNull();
      assertThat(traffic.slowestMs)
          .as("the slowest exchange, ms")
          .isLessThan(EXCHANGE_BOUND.toMillis());
      assertThat(first.path("lastReport").path("writes").asInt(-1))
          .as("writes of the restarted agent's first reconcile: %s", first.path("lastReport"))
          .isZero();
      assertThat(first.path("lastReport").path("changes").size()).isZero();
    } finally {
      traffic.stop();
    }
    Snapshot.of(ns).assertSameAs(before, "node " + node + " after its agent's restart");
    // New connections, and the probe, which waits on the restarted agent's introspection.
    Flow b = open("a", "b");
    Flow c = open("a", "c");
    assertThat(b.exchange("new b", Duration.ofSeconds(2))).isNotNull();
    assertThat(c.exchange("new c", Duration.ofSeconds(2))).isNotNull();
    b.close();
    c.close();
    assertThat(probeReal()).isEqualTo(probeModel());
  }

  /** How long a repair took, from the deletion: in the kernel, for new connections, for a flow. */
  record Repair(long kernelMs, long connectMs, long flowMs) {}

  /**
   * Waits until {@code repaired} holds, a new connection from a to b works and the established flow
   * from a to b answers; each measured from {@code since} (System.nanoTime()).
   */
  private Repair awaitRepair(BooleanSupplier repaired, long since) throws Exception {
    Duration bound = lab.agentReconcileInterval().plus(SLACK).multipliedBy(3);
    long deadline = since + bound.toNanos();
    long kernel = -1;
    long connect = -1;
    while ((kernel < 0 || connect < 0) && System.nanoTime() < deadline) {
      if (kernel < 0 && repaired.getAsBoolean()) {
        kernel = (System.nanoTime() - since) / 1_000_000;
      }
      if (connect < 0 && newConnectionWorks("a", "b")) {
        connect = (System.nanoTime() - since) / 1_000_000;
      }
      Thread.sleep(50);
    }
    assertThat(kernel).as("the repair in the kernel, within %s", bound).isNotNegative();
    assertThat(connect).as("new connections, within %s", bound).isNotNegative();
    // TCP retransmits with backoff: the established flow answers at its next retransmission.
    Duration echoed = aToB.exchange("after repair", Duration.ofSeconds(10));
    assertThat(echoed).as("the established flow a to b after the repair").isNotNull();
    return new Repair(kernel, connect, (System.nanoTime() - since) / 1_000_000);
  }

  private void assertRepairedInTime(Repair r) {
    long bound = lab.agentReconcileInterval().plus(SLACK).toMillis();
    assertThat(r.kernelMs()).as("ms until the repair").isLessThanOrEqualTo(bound);
    assertThat(r.connectMs()).as("ms until new connections work").isLessThanOrEqualTo(bound);
  }

  private ProbeMatrix probeReal() {
    return weft.probe(List.of("--port", "80/TCP", "--real"));
  }

  private ProbeMatrix probeModel() {
    return weft.probe(List.of("--port", "80/TCP"));
  }

  /** An echo server on {@link #ECHO} in {@code ns}, listening when this returns. */
  private Process echoServer(String ns) throws IOException {
    Process p =
        new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                ns,
                "socat",
                "TCP-LISTEN:" + ECHO + ",fork,reuseaddr",
                "EXEC:cat")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> !run("ip", "netns", "exec", ns, "ss", "-Hltn", "sport = :" + ECHO).isBlank());
    return p;
  }

  /** A long-lived connection from pod {@code from} to the echo server of pod {@code to}. */
  private Flow open(String from, String to) throws IOException, InterruptedException {
    Flow f =
        new Flow(
            from + "->" + to,
            new ProcessBuilder(
                    "ip",
                    "netns",
                    "exec",
                    podNs.get(from),
                    "socat",
                    "-",
                    "TCP:" + podIp.get(to) + ":" + ECHO + ",connect-timeout=2")
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start());
    flows.add(f);
    assertThat(f.exchange("hello", Duration.ofSeconds(5))).as("flow %s", f.name).isNotNull();
    return f;
  }

  /** Whether a new connection from {@code from} to {@code to}'s echo server echoes a line. */
  private boolean newConnectionWorks(String from, String to) {
    try {
      Process p =
          new ProcessBuilder(
                  "ip",
                  "netns",
                  "exec",
                  podNs.get(from),
                  "socat",
                  "-T1",
                  "-",
                  "TCP:" + podIp.get(to) + ":" + ECHO + ",connect-timeout=0.5")
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      try (OutputStream in = p.getOutputStream()) {
        in.write("ping\n".getBytes(StandardCharsets.UTF_8));
      }
      if (!p.waitFor(3, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return false;
      }
      return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).equals("ping\n");
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** One TCP connection through {@code socat}: lines written are echoed back. */
  private static final class Flow {
    final String name;
    final Process process;
    final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    Flow(String name, Process process) {
      this.name = name;
      this.process = process;
      Thread reader =
          new Thread(
              () -> {
                try (BufferedReader r =
                    new BufferedReader(
                        new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                  for (String l = r.readLine(); l != null; l = r.readLine()) {
                    lines.add(l);
                  }
                } catch (IOException e) {
                  // closed
                }
              },
              "flow " + name);
      reader.setDaemon(true);
      reader.start();
    }

    /** Sends {@code line}; the time its echo took, or null when none came within {@code bound}. */
    Duration exchange(String line, Duration bound) throws InterruptedException {
      long sent = System.nanoTime();
      try {
        OutputStream out = process.getOutputStream();
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
      } catch (IOException e) {
        return null;
      }
      long deadline = sent + bound.toNanos();
      while (true) {
        String got = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (got == null) {
          return null;
        }
        if (got.equals(line)) {
          return Duration.ofNanos(System.nanoTime() - sent);
        }
        // a late echo of an earlier line
      }
    }

    void close() {
      try {
        process.getOutputStream().close();
      } catch (IOException e) {
        // gone
      }
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
    }
  }

  /** Exchanges a line on each flow every 100 ms on a thread of its own, keeping the worst. */
  private static final class Exchanger {
    private final List<Flow> flows;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;
    volatile long exchanges;
    volatile long slowestMs;
    volatile long longestGapMs;
    volatile String failure;

    Exchanger(List<Flow> flows) {
      this.flows = flows;
      this.thread = new Thread(this::loop, "exchanger");
      thread.setDaemon(true);
    }

    void start() {
      thread.start();
    }

    private void loop() {
      long n = 0;
      long[] lastAnswer = new long[flows.size()];
      java.util.Arrays.fill(lastAnswer, System.nanoTime());
      try {
        while (running.get()) {
          for (int i = 0; i < flows.size(); i++) {
            Flow f = flows.get(i);
            // Waits longer than the bound, to measure how long a slow one took.
            Duration d = f.exchange(f.name + " " + n, Duration.ofSeconds(5));
            long now = System.nanoTime();
            if (d == null) {
              failure = "flow " + f.name + ": no echo of line " + n + " within 5 s";
              slowestMs = Math.max(slowestMs, 5000);
              continue;
            }
            exchanges++;
            slowestMs = Math.max(slowestMs, d.toMillis());
            longestGapMs = Math.max(longestGapMs, (now - lastAnswer[i]) / 1_000_000);
            lastAnswer[i] = now;
          }
          n++;
          Thread.sleep(100);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join(10_000);
    }
  }

  /**
   * What Weft programs in a node namespace, comparable: its routes (every table, not the kernel's
   * own) and rules, and its nftables table with elements sorted and handles left out.
   */
  record Snapshot(List<String> routes, List<String> rules, List<String> nft) {
    static Snapshot of(String ns) throws IOException {
      // The kernel's own routes (link-local and local addresses, which come and go with IPv6
      // duplicate address detection on new veths) are not Weft's.
      List<String> routes =
          sorted(run("ip", "-n", ns, "route", "show", "table", "all")).stream()
              .filter(l -> !l.contains(" proto kernel "))
              .toList();
      List<String> rules = sorted(run("ip", "-n", ns, "rule", "show"));
      JsonNode table =
          JSON.readTree(
              run("ip", "netns", "exec", ns, "nft", "-j", "list", "table", "inet", "weft"));
      List<String> nft = new ArrayList<>();
      for (JsonNode o : table.path("nftables")) {
        if (o.has("metainfo")) {
          continue;
        }
        com.fasterxml.jackson.databind.node.ObjectNode copy = o.deepCopy();
        copy.forEach(
            body -> {
              if (body instanceof com.fasterxml.jackson.databind.node.ObjectNode b) {
                b.remove("handle");
                JsonNode elem = b.get("elem");
                if (elem != null) {
                  List<String> es = new ArrayList<>();
                  elem.forEach(e -> es.add(e.toString()));
                  es.sort(null);
                  b.set("elem", JSON.valueToTree(es));
                }
              }
            });
        nft.add(copy.toString());
      }
      nft.sort(null);
      return new Snapshot(routes, rules, nft);
    }

    /** Fails listing what differs from {@code before}, when anything does. */
    void assertSameAs(Snapshot before, String what) {
      StringBuilder diff = new StringBuilder();
      diff(diff, "route", before.routes, routes);
      diff(diff, "rule", before.rules, rules);
      diff(diff, "nft", before.nft, nft);
      assertThat(diff.toString()).as("what changed on %s", what).isEmpty();
    }

    private static void diff(
        StringBuilder out, String kind, List<String> before, List<String> now) {
      before.stream()
          .filter(l -> !now.contains(l))
          .forEach(l -> out.append("- ").append(kind).append(' ').append(l).append('\n'));
      now.stream()
          .filter(l -> !before.contains(l))
          .forEach(l -> out.append("+ ").append(kind).append(' ').append(l).append('\n'));
    }

    private static List<String> sorted(String text) {
      List<String> lines = new ArrayList<>(text.lines().map(String::strip).toList());
      lines.sort(null);
      return lines;
    }
  }

  /** Runs a command that must succeed; what it printed. */
  private static String run(String... argv) {
    try {
      Process p = new ProcessBuilder(argv).redirectErrorStream(false).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new AssertionError(String.join(" ", argv) + " failed: " + err + out);
      }
      return out;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Processes of this JVM whose command line carries the lab's prefix. */
  private List<String> labProcesses() {
    return ProcessHandle.current()
        .descendants()
        .filter(h -> h.info().commandLine().orElse("").contains(prefix))
        .map(h -> h.pid() + " " + h.info().commandLine().orElse(""))
        .toList();
  }

  private static boolean onPath(String tool) {
    for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(d, tool).canExecute()) {
        return true;
      }
    }
    return new File("/usr/sbin/" + tool).canExecute() || new File("/usr/bin/" + tool).canExecute();
  }
}
