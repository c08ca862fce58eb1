package dev.weft.cli;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Property: for random small clusters (isolated and annotated namespaces, user networks, annotated
 * pods, random network policies attached from either side), {@code weft probe} agrees cell by cell
 * with {@link ReferenceReachability}, an independent statement of the reachability rules.
 *
 * <p>Each seed gets a fresh in-process Weft. {@code -Dweft.reference.seed=N} runs one seed (to
 * reproduce a failure); {@code -Dweft.reference.seeds=N} runs N seeds.
 */
class ProbeAgreesWithReferenceTest {
  private static final long BASE_SEED = 0x5EEDL;
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<Long> seeds() {
    String one = System.getProperty("weft.reference.seed");
    if (one != null) {
      return Stream.of(Long.parseLong(one));
    }
    int count = Integer.getInteger("weft.reference.seeds", 15);
    Random r = new Random(BASE_SEED);
    return LongStream.range(0, count).mapToObj(i -> r.nextLong());
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void probeMatrixIsWhatTheRulesSay(long seed) throws Exception {
    RandomCluster cluster = RandomCluster.generate(seed);
    Path manifests = Files.createTempDirectory("weft-random-");
    try (InProcessWeft weft = InProcessWeft.start()) {
      applyByRoute(weft, manifests, cluster);
      Map<String, String> addresses = awaitAddresses(weft, cluster);
      List<String> args = new ArrayList<>();
      for (String p : RandomCluster.PROBED) {
        args.add("--port");
        args.add(p);
      }
      ProbeMatrix actual = weft.probe(args);
      ProbeMatrix expected = expected(cluster, addresses);
      String diff = actual.differencesFrom(expected);
      if (!diff.isEmpty()) {
        throw new AssertionError(
            "seed "
                + seed
                + " (rerun with -Dweft.reference.seed="
                + seed
                + "): weft probe disagrees with the reference rules\n"
                + diff
                + "\nthe cluster:\n"
                + cluster.describe());
      }
    } catch (RuntimeException | Error e) {
      if (e.getMessage() == null || !e.getMessage().startsWith("seed ")) {
        throw new AssertionError("seed " + seed + ": " + e + "\n" + cluster.describe(), e);
      }
      throw e;
    } finally {
      InProcessWeft.deleteRecursively(manifests);
    }
  }

  /**
   * Applies the cluster in the order its route says. A probe between stages waits until Weft has
   * processed what came before: namespaces' projects (which may hold user networks and policies)
   * and isolated pod networks (which policies attach to) exist before those are applied.
   */
  private static void applyByRoute(InProcessWeft weft, Path dir, RandomCluster cluster)
      throws Exception {
    List<String> barrier = List.of("--port", "80/TCP");
    switch (cluster.route) {
      case DEPENDENCIES_FIRST -> {
        apply(weft, dir, "00-namespaces.yaml", cluster.namespaces);
        weft.probe(barrier);
        apply(weft, dir, "01-networks-and-policies.yaml", cluster.networksAndPolicies);
        apply(weft, dir, "02-policy-links.yaml", cluster.policyLinks);
        apply(weft, dir, "03-pods.yaml", cluster.pods);
      }
      case PODS_BEFORE_NETWORKS -> {
        apply(weft, dir, "00-namespaces.yaml", cluster.namespaces);
        apply(weft, dir, "01-pods.yaml", cluster.pods);
        weft.probe(barrier);
        apply(weft, dir, "02-networks-and-policies.yaml", cluster.networksAndPolicies);
        apply(weft, dir, "03-policy-links.yaml", cluster.policyLinks);
      }
      case ANNOTATIONS_LATER -> {
        apply(weft, dir, "00-plain-namespaces.yaml", cluster.plainNamespaces);
        apply(weft, dir, "01-plain-pods.yaml", cluster.plainPods);
        weft.awaitPodsRunning();
        weft.probe(barrier);
        apply(weft, dir, "02-networks-and-policies.yaml", cluster.networksAndPolicies);
        apply(weft, dir, "03-namespaces.yaml", cluster.namespaces);
        apply(weft, dir, "04-pods.yaml", cluster.pods);
        weft.probe(barrier);
        apply(weft, dir, "05-policy-links.yaml", cluster.policyLinks);
      }
    }
  }

  private static void apply(InProcessWeft weft, Path dir, String file, List<String> docs)
      throws Exception {
    if (docs.isEmpty()) {
      return;
    }
    Path f = dir.resolve(file);
    Files.writeString(f, "---\n" + String.join("---\n", docs), StandardCharsets.UTF_8);
    weft.runOk("apply", "-f", f.toString());
  }

  /**
   * Pod key to its IPv4 address, which the reference's subnet matches need: once every pod's {@code
   * network-status} annotation names the network the rules put it in and {@code status.podIP} is
   * that network's address. Both are written back to Kubernetes after the probe's barrier (which
   * does not wait for them), and a pod that moved keeps its old ones for a while.
   */
  private static Map<String, String> awaitAddresses(InProcessWeft weft, RandomCluster cluster) {
    Map<String, String> out = new TreeMap<>();
    Map<String, String> wrong = new TreeMap<>();
    try {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(20))
          .until(
              () -> {
                out.clear();
                wrong.clear();
                for (JsonNode p : weft.pods().path("items")) {
                  JsonNode meta = p.path("metadata");
                  String key = meta.path("namespace").asText() + "/" + meta.path("name").asText();
                  String want = cluster.podNetworks.get(key);
                  String raw =
                      meta.path("annotations").path("k8s.v1.cni.cncf.io/network-status").asText("");
                  JsonNode status = raw.isEmpty() ? null : JSON.readTree(raw).path(0);
                  String network = status == null ? "(none)" : status.path("name").asText();
                  String address = status == null ? "" : status.path("ips").path(0).asText("");
                  String podIp = p.path("status").path("podIP").asText("");
                  if (!network.equals(want) || address.isEmpty() || !address.equals(podIp)) {
                    wrong.put(
                        key,
                        "network-status "
                            + network
                            + " "
                            + address
                            + ", podIP "
                            + podIp
                            + "; rules say "
                            + want);
                  }
                  out.put(key, address);
                }
                return wrong.isEmpty() && out.keySet().equals(cluster.podNetworks.keySet());
              });
    } catch (ConditionTimeoutException e) {
      throw new AssertionError(
          "after 30 s, pods not on the network the rules say, or without their address: " + wrong,
          e);
    }
    return out;
  }

  private static ProbeMatrix expected(RandomCluster cluster, Map<String, String> addresses) {
    List<ReferenceReachability.Pod> pods = new ArrayList<>();
    for (Map.Entry<String, String> e : cluster.podNetworks.entrySet()) {
      String address = addresses.get(e.getKey());
      if (address == null) {
        throw new AssertionError("pod " + e.getKey() + " has no address: " + addresses);
      }
      pods.add(new ReferenceReachability.Pod(e.getKey(), e.getValue(), address));
    }
    List<String> sources = pods.stream().map(ReferenceReachability.Pod::key).sorted().toList();
    List<String> destinations = new ArrayList<>();
    for (String key : sources) {
      for (String port : RandomCluster.PROBED) {
        destinations.add(key + ":" + port);
      }
    }
    List<String> rows = new ArrayList<>();
    for (ReferenceReachability.Pod src : pods) {
      StringBuilder row = new StringBuilder();
      for (ReferenceReachability.Pod dst : pods) {
        for (String port : RandomCluster.PROBED) {
          String[] pp = port.split("/");
          boolean ok =
              cluster.reference.reaches(
                  src,
                  dst,
                  pp[1].toLowerCase(Locale.ROOT),
                  RandomCluster.CLIENT_PORT,
                  Integer.parseInt(pp[0]));
          row.append(ok ? '.' : 'X');
        }
      }
      rows.add(row.toString());
    }
    return new ProbeMatrix(sources, destinations, rows);
  }
}
