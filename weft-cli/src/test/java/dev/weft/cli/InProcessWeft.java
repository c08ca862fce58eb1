package dev.weft.cli;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A Weft started in-process ({@code weft up} on the embedded Kubernetes API, SQLite store in a
 * fresh data directory of its own) and driven through the {@code weft} command line, as a user
 * would drive it.
 *
 * <p>Commands print to {@code System.out}, which is process-wide, so commands from all instances
 * run one at a time.
 */
final class InProcessWeft implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DEFAULT_POD_NETWORK =
      "default-domain:k8s-default:k8s-default-pod-network";

  private final Path dataDir;
  private final WeftServer server;
  private dev.weft.cli.lab.Lab lab;

  private InProcessWeft(Path dataDir, WeftServer server) {
    this.dataDir = dataDir;
    this.server = server;
  }

  /**
   * Starts a Weft with two simulated nodes in a new temporary data directory, and returns once the
   * cluster's own objects (project {@code k8s-default}, the default pod network) exist, which
   * {@code weft apply} of user networks needs.
   */
  static InProcessWeft start() throws Exception {
    return start(WeftSettings.defaults());
  }

  /** As {@link #start()}, with the settings of a {@code weft up --config} file. */
  static InProcessWeft start(WeftSettings settings) throws Exception {
    return start(settings, false);
  }

  /**
   * As {@link #start(WeftSettings)}; {@code lab}: as {@code weft up --lab}, the nodes real network
   * namespaces with their agents, pods wired by the CNI plugin (needs root, ip and nft).
   */
  static InProcessWeft start(WeftSettings settings, boolean lab) throws Exception {
    Path dir = Files.createTempDirectory("weft-test-");
    WeftServer server;
    dev.weft.cli.lab.Lab theLab = null;
    try {
      if (lab) {
        theLab = dev.weft.cli.lab.Lab.create(dir, StoreFactory.url(null, dir));
      }
      server =
          WeftServer.start(
              new WeftServer.Options(
                  dir, "127.0.0.1", 0, null, 0, null, settings.cluster(), settings.nodes(), 4),
              dev.weft.kube.leader.LeaderElectionConfig.defaults(),
              theLab == null ? dev.weft.kube.embedded.PodSandboxes.NONE : theLab.sandboxes());
    } catch (Exception | Error e) {
      deleteRecursively(dir);
      throw e;
    }
    InProcessWeft weft = new InProcessWeft(dir, server);
    weft.lab = theLab;
    try {
      if (theLab != null) {
        theLab.start(server.client(), server.compiler(), server.reachability());
      }
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> weft.objectNames("virtual-networks").contains(DEFAULT_POD_NETWORK));
    } catch (Exception | Error e) {
      weft.close();
      throw e;
    }
    return weft;
  }

  /** Runs {@code weft ARGS --server URL} and returns its exit code and output. */
  CliRun.Result run(List<String> args) {
    List<String> all = new ArrayList<>(args);
    all.add("--server");
    all.add(server.apiUrl());
    return CliRun.run(all.toArray(String[]::new));
  }

  /** Runs a command that must succeed (exit code 0); returns what it printed. */
  String runOk(String... args) {
    CliRun.Result r = run(List.of(args));
    if (r.code() != 0) {
      throw new AssertionError(
          "weft "
              + String.join(" ", args)
              + " exited with "
              + r.code()
              + "\nstdout:\n"
              + r.out()
              + "\nstderr:\n"
              + r.err());
    }
    return r.out();
  }

  /** {@code weft probe -o json ARGS}, which must converge; the matrix it printed. */
  ProbeMatrix probe(List<String> args) {
    List<String> all = new ArrayList<>(List.of("probe", "-o", "json"));
    all.addAll(args);
    return ProbeMatrix.parse(runOk(all.toArray(String[]::new)));
  }

  /** The FQ names ({@code a:b:c}) of the Weft objects of a kind, such as virtual-networks. */
  List<String> objectNames(String plural) throws IOException {
    JsonNode listed = JSON.readTree(runOk("get", plural, "-o", "json"));
    List<String> names = new ArrayList<>();
    for (JsonNode o : listed.path(plural)) {
      List<String> parts = new ArrayList<>();
      o.path("fq_name").forEach(p -> parts.add(p.asText()));
      names.add(String.join(":", parts));
    }
    return names;
  }

  /** The Kubernetes pod list as {@code weft get pods -A -o json} prints it. */
  JsonNode pods() throws IOException {
    return JSON.readTree(runOk("get", "pods", "-A", "-o", "json"));
  }

  /**
   * Waits until every pod is bound to a node, as a user would wait for the scheduler before
   * probing: binding is the embedded scheduler's change, made after {@code weft apply} returned, so
   * the probe's barrier (changes made before the call) does not cover it.
   */
  /**
   * Waits until the embedded cluster's stand-ins and the kube-manager are idle and the API server
   * saw no write for a moment: a stand-in acting on what was just applied (mirroring an Endpoints
   * object into an EndpointSlice, say) writes after the apply returned, and the probe's barrier
   * covers what the API server had when it was called, not what its controllers will write next.
   */
  void awaitClusterSettled() throws InterruptedException {
    // In a lab, sandboxes are real: a CNI ADD (a JVM start) or a pod process start holds a
    // stand-in worker for a second or more, much more on a loaded machine.
    Duration window = Duration.ofSeconds(lab == null ? 30 : 120);
    long deadline = System.nanoTime() + window.toNanos();
    String before = null;
    while (System.nanoTime() < deadline) {
      // Only an idle moment counts: while a worker is busy, writes the cluster makes on its own
      // (the kube-manager's Lease, renewed every second) tell nothing about what was applied.
      if (!server.awaitIdle(Duration.ofSeconds(10))) {
        before = null;
        continue;
      }
      Thread.sleep(100);
      String now = server.client().namespaces().list().getMetadata().getResourceVersion();
      if (now != null && now.equals(before)) {
        return;
      }
      before = now;
    }
    throw new AssertionError(
        "the embedded cluster did not settle within "
            + window.toSeconds()
            + " s; the busy workers:\n"
            + busyWorkers());
  }

  /** The stacks of the work-queue threads that are doing something (not waiting for work). */
  static String busyWorkers() {
    StringBuilder out = new StringBuilder();
    for (var e : Thread.getAllStackTraces().entrySet()) {
      Thread t = e.getKey();
      StackTraceElement[] stack = e.getValue();
      if (!t.getName().startsWith("weft-workqueue-")
          || Stream.of(stack)
              .noneMatch(
                  f ->
                      f.getClassName().contains("Reconcil")
                          || f.getClassName().contains("StandIns"))) {
        continue;
      }
      out.append("\"").append(t.getName()).append("\" ").append(t.getState()).append('\n');
      for (StackTraceElement f : stack) {
        out.append("    at ").append(f).append('\n');
      }
    }
    return out.length() == 0 ? "(none)\n" : out.toString();
  }

  void awaitPodsScheduled() {
    awaitPods("bound to a node", p -> !p.path("spec").path("nodeName").asText("").isEmpty());
  }

  /**
   * Waits until every pod is bound and has its address in {@code status.podIP} (written back by the
   * embedded kubelet stand-in once Weft gave the pod an address; the probe's barrier does not wait
   * for that write-back).
   */
  void awaitPodsRunning() {
    awaitPods(
        "running with an address",
        p ->
            !p.path("spec").path("nodeName").asText("").isEmpty()
                && !p.path("status").path("podIP").asText("").isEmpty());
  }

  private void awaitPods(String what, Predicate<JsonNode> ready) {
    List<String> waiting = new ArrayList<>();
    try {
      await()
          .atMost(Duration.ofSeconds(lab == null ? 30 : 180))
          .pollInterval(Duration.ofMillis(lab == null ? 20 : 200))
          .until(
              () -> {
                waiting.clear();
                for (JsonNode p : pods().path("items")) {
                  if (!ready.test(p)) {
                    waiting.add(
                        p.path("metadata").path("namespace").asText()
                            + "/"
                            + p.path("metadata").path("name").asText());
                  }
                }
                return waiting.isEmpty();
              });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "pods not " + what + " after " + (lab == null ? 30 : 180) + " s: " + waiting, e);
    }
  }

  /** The lab, or null. */
  dev.weft.cli.lab.Lab lab() {
    return lab;
  }

  @Override
  public void close() {
    try {
      if (lab != null) {
        lab.close();
      }
      server.close();
    } finally {
      deleteRecursively(dataDir);
    }
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("could not delete " + dir, e);
    }
  }
}
