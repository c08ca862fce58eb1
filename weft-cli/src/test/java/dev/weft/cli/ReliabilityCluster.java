package dev.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.store.sqlite.SqliteConfigStore;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The processes of a production-shaped Weft for crash tests: {@code weft kube-api} in a JVM of its
 * own, and kube-managers ({@code weft up --kubeconfig}) in JVMs of their own over one SQLite data
 * directory, started and killed at will. The test's own JVM reads Kubernetes and the store.
 */
final class ReliabilityCluster implements AutoCloseable {
  static final Pattern API_URL = Pattern.compile("config API +(https?://\\S+)");
  static final Pattern LEADS = Pattern.compile("leads \\(store fence epoch (\\d+)\\)");
  static final Pattern SERVING = Pattern.compile("weft: serving");
  static final String PUBLIC_POOL = "default-domain:k8s-default:vn-public:pool-public";

  private static final ObjectMapper JSON = new ObjectMapper();

  final Path dir;
  final Path kubeconfig;
  final Path dataDir;
  final Path logs;
  final KubernetesClient client;
  private final ChildWeft kubeApi;
  private final List<ChildWeft> managers = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private final List<String> electionArgs;
  private SqliteConfigStore store;
  private int started;

  /**
   * Starts {@code weft kube-api} and waits for its kubeconfig.
   *
   * @param electionArgs the managers' {@code --lease-duration} and friends
   */
  ReliabilityCluster(Path dir, List<String> electionArgs) throws Exception {
    this.dir = dir;
    this.dataDir = dir.resolve("weft");
    // Kept after the test (the data directory is not): target/child-logs/<temp dir name>.
    this.logs = Path.of("target", "child-logs", dir.getFileName().toString()).toAbsolutePath();
    this.electionArgs = electionArgs;
    Path kubeDir = dir.resolve("kube");
    kubeApi =
        ChildWeft.start(
            "kube-api",
            logs.resolve("kube-api.log"),
            List.of("kube-api", "--port", "0", "--data-dir", kubeDir.toString()));
    if (kubeApi.await(Pattern.compile("Kubernetes API at"), Duration.ofSeconds(60)) == null) {
      throw new IllegalStateException("weft kube-api did not start: " + kubeApi);
    }
    kubeconfig = kubeDir.resolve("kubeconfig");
    Config config = Config.fromKubeconfig(Files.readString(kubeconfig, StandardCharsets.UTF_8));
    config.setRequestTimeout(30_000);
    client = new KubernetesClientBuilder().withConfig(config).build();
  }

  /** Starts a kube-manager (and config API) process; it competes for leadership. */
  ChildWeft startManager() {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "up",
            "--kubeconfig",
            kubeconfig.toString(),
            "--data-dir",
            dataDir.toString(),
            "--port",
            "0",
            "--public-fip-pool",
            PUBLIC_POOL));
    args.addAll(electionArgs);
    ChildWeft m = ChildWeft.start("manager-" + (++started), logs.resolve("managers.log"), args);
    synchronized (managers) {
      managers.add(m);
    }
    return m;
  }

  /** The config API URL a manager serves, once it serves. */
  static String apiUrl(ChildWeft manager, Duration timeout) throws InterruptedException {
    Matcher m = manager.await(API_URL, timeout);
    if (m == null || manager.await(SERVING, timeout) == null) {
      throw new IllegalStateException("no config API from " + manager);
    }
    return m.group(1);
  }

  /** The store, opened by this JVM too (SQLite serialises the processes). */
  synchronized SqliteConfigStore store() {
    if (store == null) {
      store = SqliteConfigStore.open(dataDir.resolve("weft.db"));
    }
    return store;
  }

  /** {@code GET url}, as JSON. */
  JsonNode get(String url) throws IOException, InterruptedException {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(120)).build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("GET " + url + " answered " + r.statusCode() + ": " + r.body());
    }
    return JSON.readTree(r.body());
  }

  /**
   * The probe's barrier on {@code api}: true once every Kubernetes change made before the call is
   * in the store.
   */
  boolean converged(String api, Duration timeout) throws IOException, InterruptedException {
    JsonNode probe = get(api + "/probe?port=80/TCP&timeout=" + timeout.toSeconds());
    return probe.path("convergence").path("converged").asBoolean(false);
  }

  /** A public network with a floating-IP pool, for LoadBalancer services; through {@code api}. */
  void createPublicPool(String api) throws IOException {
    Path file = dir.resolve("public-pool.yaml");
    Files.writeString(
        file,
        """
        apiVersion: weft/v1
        kind: VirtualNetwork
        metadata: {name: vn-public, project: k8s-default}
        spec:
          subnets: [192.0.2.0/24]
        ---
        apiVersion: weft/v1
        kind: FloatingIpPool
        metadata: {name: pool-public, project: k8s-default, network: vn-public}
        """);
    int code = Main.run("apply", "-f", file.toString(), "--server", api);
    if (code != 0) {
      throw new IllegalStateException("weft apply of the public pool failed: " + code);
    }
  }

  @Override
  public void close() throws Exception {
    synchronized (managers) {
      for (ChildWeft m : managers) {
        m.close();
      }
    }
    if (store != null) {
      store.close();
    }
    client.close();
    kubeApi.close();
  }
}
