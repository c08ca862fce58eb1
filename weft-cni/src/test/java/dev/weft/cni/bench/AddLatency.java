package dev.weft.cni.bench;

import dev.weft.cni.ChildProcess;
import dev.weft.cni.FakeAgent;
import dev.weft.cni.Installer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Latency harness (not a test): how long kubelet waits for one CNI ADD when the agent answers at
 * once, i.e. the cost of the plugin process itself. Spawns the real executable N times in a row and
 * N times 50 at once, for plain {@code java -jar}, the launcher without the AppCDS archive and the
 * launcher with it, and prints p50/p99/max of the per-process wall time in ms.
 *
 * <pre>
 * cd weft-cni &amp;&amp; java -cp target/classes:target/test-classes dev.weft.cni.bench.AddLatency \
 *     target/weft-cni.jar [runs=200] [concurrency=50]
 * </pre>
 */
public final class AddLatency {
  private AddLatency() {}

  public static void main(String[] args) throws Exception {
    Path jar = Path.of(args.length > 0 ? args[0] : "target/weft-cni.jar").toAbsolutePath();
    int runs = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 50;
    Path dir = Files.createTempDirectory("weft-cni-bench");
    Path socket = dir.resolve("cni.sock");
    String java = ChildProcess.java();

    Path plainBin = dir.resolve("plain");
    Path noCds = Installer.install(dir.resolve("no-cds"), jar, java);
    Path cdsBin = dir.resolve("cds");
    Path cds = Installer.install(cdsBin, jar, java);
    Installer.createArchive(cdsBin, jar, java);
    Files.createDirectories(plainBin);

    String conf =
        "{\"cniVersion\":\"1.0.0\",\"name\":\"weft\",\"type\":\"weft-cni\",\"agentSocket\":\""
            + socket
            + "\"}";
    System.out.printf(
        "weft-cni ADD latency, agent answering at once; %d runs per row; %d cores; %s%n",
        runs, Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.version"));
    System.out.printf(
        "%-22s %-14s %8s %8s %8s%n", "executable", "mode", "p50 ms", "p99 ms", "max ms");
    try (FakeAgent agent = FakeAgent.healthy(socket)) {
      Map<String, List<String>> variants =
          Map.of(
              "java -jar (plain)", List.of(java, "-jar", jar.toString()),
              "launcher, no CDS", List.of(noCds.toString()),
              "launcher + AppCDS", List.of(cds.toString()));
      for (String name : List.of("java -jar (plain)", "launcher, no CDS", "launcher + AppCDS")) {
        List<String> command = variants.get(name);
        for (int i = 0; i < 5; i++) {
          once(command, conf); // warm the page cache, not the JVM: each run is a new process
        }
        report(name, "sequential", sequential(command, conf, runs));
        report(name, concurrency + " concurrent", concurrent(command, conf, runs, concurrency));
      }
      System.out.printf("agent saw %d requests%n", agent.requests().size());
    }
  }

  private static long[] sequential(List<String> command, String conf, int runs) throws Exception {
    long[] millis = new long[runs];
    for (int i = 0; i < runs; i++) {
      millis[i] = once(command, conf);
    }
    return millis;
  }

  private static long[] concurrent(List<String> command, String conf, int runs, int concurrency)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    try {
      List<Future<Long>> futures = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        futures.add(pool.submit(() -> once(command, conf)));
      }
      long[] millis = new long[runs];
      for (int i = 0; i < runs; i++) {
        millis[i] = futures.get(i).get();
      }
      return millis;
    } finally {
      pool.shutdown();
    }
  }

  private static long once(List<String> command, String conf) throws Exception {
    Map<String, String> env =
        Map.of(
            "CNI_COMMAND", "ADD",
            "CNI_CONTAINERID", "bench",
            "CNI_NETNS", "/var/run/netns/bench",
            "CNI_IFNAME", "eth0",
            "CNI_PATH", "/opt/cni/bin",
            "CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=bench");
    long start = System.nanoTime();
    ChildProcess.Result result = ChildProcess.run(command, env, conf);
    long elapsed = (System.nanoTime() - start) / 1_000_000;
    if (result.exit() != 0
        || !result.stdout().startsWith("{\"cniVersion\":\"1.0.0\",\"interfaces\"")) {
      throw new IllegalStateException(command + " failed: " + result);
    }
    return elapsed;
  }

  private static void report(String name, String mode, long[] millis) {
    long[] sorted = millis.clone();
    Arrays.sort(sorted);
    System.out.printf(
        "%-22s %-14s %8d %8d %8d%n",
        name, mode, percentile(sorted, 50), percentile(sorted, 99), sorted[sorted.length - 1]);
  }

  private static long percentile(long[] sorted, int p) {
    int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }
}
