package dev.weft.agent.linux;

import static dev.weft.control.World.network;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.router;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.agent.Agent;
import dev.weft.agent.cni.CniHandler;
import dev.weft.agent.node.NodeAgent;
import dev.weft.cni.Installer;
import dev.weft.cni.Main;
import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.model.ConfigObject;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.LoggerFactory;

/**
 * Figures, run on purpose ({@code -Dweft.cni.adds=200}), never in CI: how long kubelet waits for a
 * CNI ADD and DEL of the real plugin executable against a real agent wiring real namespaces. N pods
 * of node-1 are in the store; the agent serves node-1's namespace; each call runs the launcher
 * {@link Installer#install} wrote, with and without the AppCDS archive, the way the runtime runs it
 * (CNI_* environment, network configuration on stdin, a fresh sandbox namespace per ADD), timed
 * from process start to exit. Calls run in a row, then in batches of {@value #BATCH} started at
 * once. The agent's own time per request (its "ok in N ms" log line) and plain socket requests
 * without a process show what the JVM start costs. The plugin jar is {@code -Dweft.cni.jar} or
 * where {@link Main} was loaded from.
 */
@EnabledIfSystemProperty(named = "weft.cni.adds", matches = "\\d+")
class CniAddLatencyTest {
  private static final String NODE1 = "node-1";
  private static final int BATCH = 50;
  private static final Duration CALL_BOUND = Duration.ofSeconds(120);

  /** Which client makes the calls: a launcher, or the test itself over the socket. */
  private record Client(String name, Path launcher) {}

  /** One call: its container id (the key of the agent's log line) and its wall time. */
  private record Call(String containerId, long micros) {}

  @Test
  void reportsAddAndDelLatencyOfThePluginProcessAgainstARealAgent() throws Exception {
    assumeTrue(Lab.available(), "needs root, ip, nft, socat, ping and bridge");
    int n = Integer.getInteger("weft.cni.adds");
    Path jar = pluginJar();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path dir = Files.createTempDirectory("weft-cni-latency");
    AgentTimes agentTimes = new AgentTimes();
    Logger handlerLog = (Logger) LoggerFactory.getLogger(CniHandler.class);
    handlerLog.addAppender(agentTimes);
    handlerLog.setAdditive(false); // N lines per phase would drown the figures
    agentTimes.start();

    VirtualRouter node1 = router(NODE1, "172.31.250.1");
    VirtualNetwork red = network("red");
    List<Pod> pods = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      pods.add(pod("x", "p" + i, red, node1, "10.32." + (i / 250) + "." + (i % 250 + 1)));
    }
    try (World world = new World();
        Lab lab = new Lab()) {
      world.put(node1, red);
      for (int from = 0; from < n; from += 500) {
        world.put(
            pods.subList(from, Math.min(n, from + 500)).stream()
                .flatMap(p -> Stream.of(p.objects()))
                .toArray(ConfigObject[]::new));
      }
      Path plain = Installer.install(dir.resolve("no-cds"), jar, java);
      Path cdsBin = dir.resolve("cds");
      Path cds = Installer.install(cdsBin, jar, java);
      long t = System.nanoTime();
      Installer.createArchive(cdsBin, jar, java);
      long archiveMs = (System.nanoTime() - t) / 1_000_000;

      String nodeNs = lab.node("n1", "172.31.250.1");
      Path socket = dir.resolve("run/cni.sock");
      Sandboxes sandboxes = new Sandboxes(lab);
      try (Agent agent =
          Agent.start(
              world.store().kv(),
              lab.shell,
              new Agent.Config(NodeAgent.Options.of(NODE1).withNetns(nodeNs), socket, null, 0),
              Clock.systemUTC())) {
        Awaitility.await()
            .atMost(Duration.ofSeconds(60))
            .until(() -> agent.node().status().ready());
        Calls calls = new Calls(socket, sandboxes, agentTimes);
        Client raw = new Client("socket, no process", null);
        List<Client> clients =
            List.of(
                raw, new Client("launcher, no CDS", plain), new Client("launcher + AppCDS", cds));

        // Warm the agent (its JIT, the kernel's caches) and the page cache for each launcher.
        calls.phase("warm", raw, pods.subList(0, Math.min(n, 20)), 1);
        for (Client c : clients.subList(1, 3)) {
          calls.phase("warm", c, pods.subList(0, Math.min(n, 3)), 1);
        }
        agentTimes.clear();

        List<String> rows = new ArrayList<>();
        for (int concurrency : List.of(1, BATCH)) {
          for (Client c : clients) {
            rows.addAll(calls.phase(c.name(), c, pods, concurrency));
          }
        }
        StringBuilder out = new StringBuilder();
        out.append(
            String.format(
                "%nweft-cni ADD/DEL latency against a real agent on a Lab namespace: %d pods of"
                    + " node-1, %d cores, JDK %s, archive made in %d ms%n"
                    + "(wall = process start to exit; agent = the agent's own 'ok in N ms';"
                    + " rest = wall - agent, per call: JVM start, plugin, socket)%n",
                n,
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.version"),
                archiveMs));
        out.append(
            String.format(
                "%-20s %-5s %-13s %23s %23s %15s%n",
                "client",
                "cmd",
                "mode",
                "wall p50/p99/max ms",
                "agent p50/p99/max ms",
                "rest p50/p99 ms"));
        rows.forEach(r -> out.append(r).append('\n'));
        out.append("load average: ").append(Files.readString(Path.of("/proc/loadavg")).strip());
        System.out.println(out);
      } finally {
        sandboxes.close();
      }
    } finally {
      handlerLog.detachAppender(agentTimes);
      handlerLog.setAdditive(true);
      deleteRecursively(dir);
    }
  }

  /** Runs the calls of each phase and formats its rows; owns the container id sequence. */
  private static final class Calls {
    private final Sandboxes sandboxes;
    private final AgentTimes agentTimes;
    private final CniClient cni;
    private final String config;
    private int sequence;

    Calls(Path socket, Sandboxes sandboxes, AgentTimes agentTimes) {
      this.sandboxes = sandboxes;
      this.agentTimes = agentTimes;
      this.cni = new CniClient(socket);
      this.config =
          "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"weft-cni\",\"agentSocket\":\""
              + socket
              + "\"}";
    }

    /**
     * ADDs every pod with {@code client}, {@code concurrency} at once (a batch starts when the
     * previous one has finished), then DELs them the same way and removes their sandboxes.
     */
    List<String> phase(String label, Client client, List<Pod> pods, int concurrency)
        throws Exception {
      int phase = ++sequence;
      List<String> ids = new ArrayList<>();
      List<String> namespaces = new ArrayList<>();
      for (int i = 0; i < pods.size(); i++) {
        ids.add("c" + phase + "-" + i);
        namespaces.add(null);
      }
      List<Call> adds = new ArrayList<>();
      List<Call> dels = new ArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(concurrency);
      try {
        for (int from = 0; from < pods.size(); from += concurrency) {
          int to = Math.min(pods.size(), from + concurrency);
          for (int i = from; i < to; i++) {
            namespaces.set(i, sandboxes.create("s" + phase + "-" + i));
          }
          adds.addAll(
              batch(
                  pool,
                  from,
                  to,
                  i -> call(client, "ADD", ids.get(i), namespaces.get(i), pods.get(i))));
        }
        for (int from = 0; from < pods.size(); from += concurrency) {
          int to = Math.min(pods.size(), from + concurrency);
          dels.addAll(
              batch(
                  pool,
                  from,
                  to,
                  i -> call(client, "DEL", ids.get(i), namespaces.get(i), pods.get(i))));
          for (int i = from; i < to; i++) {
            sandboxes.delete(namespaces.get(i));
          }
        }
      } finally {
        pool.shutdown();
      }
      String mode = concurrency == 1 ? "sequential" : concurrency + " at once";
      return List.of(row(label, "ADD", mode, adds), row(label, "DEL", mode, dels));
    }

    private interface Action {
      Call run(int i) throws Exception;
    }

    /** Runs calls {@code from} until {@code to}, released together, and waits for all of them. */
    private static List<Call> batch(ExecutorService pool, int from, int to, Action action)
        throws Exception {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Call>> futures = new ArrayList<>();
      for (int i = from; i < to; i++) {
        int index = i;
        futures.add(
            pool.submit(
                () -> {
                  go.await();
                  return action.run(index);
                }));
      }
      go.countDown();
      List<Call> out = new ArrayList<>();
      for (Future<Call> f : futures) {
        out.add(f.get());
      }
      return out;
    }

    private Call call(Client client, String command, String containerId, String ns, Pod p)
        throws Exception {
      String name = p.vm().fqName().toString().split("__")[2];
      String uid = p.vm().uuid().toString();
      String netns = "/var/run/netns/" + ns;
      String answer;
      if (client.launcher() == null) {
        long start = System.nanoTime();
        JsonNode r =
            cni.call(CniClient.request(command, containerId, netns, "x", name, uid, 55_000));
        long micros = (System.nanoTime() - start) / 1_000;
        if (!r.path("ok").asBoolean()) {
          throw new IllegalStateException(command + " " + containerId + " failed: " + r);
        }
        answer = r.path("result").toString();
        check(command, containerId, p, answer);
        return new Call(containerId, micros);
      }
      ProcessBuilder b = new ProcessBuilder(client.launcher().toString());
      Map<String, String> env = b.environment();
      String path = env.getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
      env.clear();
      env.put("PATH", path);
      env.put("CNI_COMMAND", command);
      env.put("CNI_CONTAINERID", containerId);
      env.put("CNI_NETNS", netns);
      env.put("CNI_IFNAME", "eth0");
      env.put("CNI_PATH", client.launcher().getParent().toString());
      env.put(
          "CNI_ARGS",
          "IgnoreUnknown=1;K8S_POD_NAMESPACE=x;K8S_POD_NAME=" + name + ";K8S_POD_UID=" + uid);
      long start = System.nanoTime();
      Process process = b.start();
      try (OutputStream in = process.getOutputStream()) {
        in.write(config.getBytes(StandardCharsets.UTF_8));
      }
      byte[] stdout = process.getInputStream().readAllBytes();
      byte[] stderr = process.getErrorStream().readAllBytes();
      if (!process.waitFor(CALL_BOUND.toSeconds(), TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException(command + " " + containerId + ": no exit in " + CALL_BOUND);
      }
      long micros = (System.nanoTime() - start) / 1_000;
      answer = new String(stdout, StandardCharsets.UTF_8);
      if (process.exitValue() != 0) {
        throw new IllegalStateException(
            command
                + " "
                + containerId
                + " exited "
                + process.exitValue()
                + ": "
                + answer
                + new String(stderr, StandardCharsets.UTF_8));
      }
      check(command, containerId, p, answer);
      return new Call(containerId, micros);
    }

    /** An ADD's result names the pod's address; a DEL prints nothing. */
    private static void check(String command, String containerId, Pod p, String answer)
        throws IOException {
      if (command.equals("DEL")) {
        return;
      }
      JsonNode result = CniClient.JSON.readTree(answer);
      String address = result.path("ips").path(0).path("address").asText();
      if (!address.equals(p.address() + "/32")) {
        throw new IllegalStateException(
            "ADD " + containerId + ": expected address " + p.address() + "/32, got " + answer);
      }
    }

    private String row(String label, String command, String mode, List<Call> calls) {
      long[] wall = calls.stream().mapToLong(Call::micros).toArray();
      long[] agent = new long[calls.size()];
      long[] rest = new long[calls.size()];
      for (int i = 0; i < calls.size(); i++) {
        Long ms = agentTimes.millis(command, calls.get(i).containerId());
        agent[i] = ms == null ? -1 : ms * 1000;
        rest[i] = ms == null ? -1 : wall[i] - agent[i];
      }
      return String.format(
          "%-20s %-5s %-13s %23s %23s %15s",
          label,
          command,
          mode,
          triple(wall),
          Arrays.stream(agent).anyMatch(a -> a < 0) ? "n/a" : triple(agent),
          Arrays.stream(rest).anyMatch(a -> a < 0) ? "n/a" : pair(rest));
    }
  }

  private static String triple(long[] micros) {
    long[] s = micros.clone();
    Arrays.sort(s);
    return String.format(
        "%.1f / %.1f / %.1f", percentile(s, 50), percentile(s, 99), s[s.length - 1] / 1000.0);
  }

  private static String pair(long[] micros) {
    long[] s = micros.clone();
    Arrays.sort(s);
    return String.format("%.1f / %.1f", percentile(s, 50), percentile(s, 99));
  }

  /** Nearest-rank percentile, in ms. */
  private static double percentile(long[] sortedMicros, int p) {
    int index = (int) Math.ceil(p / 100.0 * sortedMicros.length) - 1;
    return sortedMicros[Math.max(0, Math.min(sortedMicros.length - 1, index))] / 1000.0;
  }

  /**
   * The agent's time per request, from its {@code "CNI {} {} {}: ok in {} ms"} line (command,
   * container id, pod, milliseconds): whole milliseconds, which is all the agent logs.
   */
  private static final class AgentTimes extends AppenderBase<ILoggingEvent> {
    private final Map<String, Long> millis = new ConcurrentHashMap<>();

    @Override
    protected void append(ILoggingEvent e) {
      Object[] args = e.getArgumentArray();
      if (e.getMessage().endsWith("ok in {} ms") && args != null && args.length == 4) {
        millis.put(args[0] + " " + args[1], ((Number) args[3]).longValue());
      }
    }

    Long millis(String command, String containerId) {
      return millis.get(command + " " + containerId);
    }

    void clear() {
      millis.clear();
    }
  }

  /** Pod sandboxes as the container runtime makes them: a namespace with lo up; all removed. */
  private static final class Sandboxes implements AutoCloseable {
    private final Lab lab;
    private final Map<String, Boolean> live = new LinkedHashMap<>();

    Sandboxes(Lab lab) {
      this.lab = lab;
    }

    String create(String name) {
      String ns = lab.prefix + "-" + name;
      lab.run("ip", "netns", "add", ns);
      live.put(ns, true);
      lab.run("ip", "-n", ns, "link", "set", "lo", "up");
      return ns;
    }

    void delete(String ns) {
      lab.shell.run(List.of("ip", "netns", "del", ns), null, Duration.ofSeconds(10));
      live.remove(ns);
    }

    @Override
    public void close() {
      for (String ns : new ArrayList<>(live.keySet())) {
        delete(ns);
      }
    }
  }

  private static Path pluginJar() throws Exception {
    String property = System.getProperty("weft.cni.jar");
    if (property != null) {
      return Path.of(property);
    }
    Path source = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    if (Files.isRegularFile(source)) {
      return source;
    }
    // weft-cni/target/classes, when the reactor resolved the module to its classes: AppCDS
    // archives only jars, so take the packaged jar next to it.
    Path packaged = source.getParent().resolve("weft-cni.jar");
    assumeTrue(Files.isRegularFile(packaged), "no weft-cni.jar: package weft-cni first");
    return packaged;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
