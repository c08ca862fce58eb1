package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.kube.ClusterConfig;
import dev.weft.model.IpPrefix;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance path through the CLI contract: {@code weft apply -f examples/}, {@code
 * weft get}, {@code weft delete -f examples/}, against a Weft running on the embedded cluster with
 * a SQLite store.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ExamplesEndToEndTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path EXAMPLES = Path.of("..", "examples");
  @TempDir static Path dir;
  private static WeftServer server;
  private static Set<String> baseline;

  @BeforeAll
  static void up() throws Exception {
    server =
        WeftServer.start(
            new WeftServer.Options(
                dir,
                "127.0.0.1",
                0,
                null,
                0,
                null,
                ClusterConfig.defaults(),
                List.of("node-1", "node-2"),
                4));
    await().atMost(Duration.ofSeconds(20)).until(() -> weftNames("virtual-networks").size() == 2);
    await().atMost(Duration.ofSeconds(20)).until(() -> weftNames("security-groups").size() == 3);
    baseline = everything();
  }

  @AfterAll
  static void down() {
    if (server != null) {
      server.close();
    }
  }

  /** Runs the weft command against the server; returns stdout, asserting the exit code. */
  static String weft(int expectedExit, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream saved = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    int code;
    try {
      List<String> all = new ArrayList<>(List.of(args));
      all.add("--server");
      all.add(server.apiUrl());
      code = Main.run(all.toArray(String[]::new));
    } finally {
      System.setOut(saved);
    }
    String text = out.toString(StandardCharsets.UTF_8);
    assertThat(code)
        .as("exit code of weft %s, output:%n%s", List.of(args), text)
        .isEqualTo(expectedExit);
    return text;
  }

  static JsonNode json(String... args) throws Exception {
    return JSON.readTree(weft(0, args));
  }

  static Set<String> weftNames(String plural) throws Exception {
    Set<String> names = new TreeSet<>();
    for (JsonNode o : json("get", plural, "-o", "json").path(plural)) {
      List<String> parts = new ArrayList<>();
      o.path("fq_name").forEach(p -> parts.add(p.asText()));
      names.add(String.join(":", parts));
    }
    return names;
  }

  static Set<String> everything() throws Exception {
    Set<String> all = new TreeSet<>();
    for (String plural :
        List.of(
            "projects",
            "network-ipams",
            "virtual-networks",
            "virtual-machines",
            "virtual-machine-interfaces",
            "instance-ips",
            "security-groups",
            "network-policys",
            "floating-ip-pools",
            "floating-ips")) {
      weftNames(plural).forEach(n -> all.add(plural + " " + n));
    }
    return all;
  }

  @Test
  @Order(1)
  void applyingTheExamplesCreatesEveryObject() throws Exception {
    String out = weft(0, "apply", "-f", EXAMPLES.toString());
    assertThat(out)
        .contains(
            "namespace/ns-isolated created",
            "virtualnetwork/vn-left-1 created",
            "pod/left-1 created");
    // Applying again changes nothing.
    assertThat(weft(0, "apply", "-f", EXAMPLES.toString())).doesNotContain("created", "configured");
  }

  @Test
  @Order(2)
  void everyPodHasAnAddressInTheRightSubnetAndTheNetworkStatusAnnotation() throws Exception {
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              JsonNode pods = json("get", "pods", "-A", "-o", "json");
              assertThat(pods.path("kind").asText()).isEqualTo("PodList");
              assertThat(pods.path("items")).hasSize(8);
              for (JsonNode p : pods.path("items")) {
                String ns = p.path("metadata").path("namespace").asText();
                String name = p.path("metadata").path("name").asText();
                String status =
                    p.path("metadata")
                        .path("annotations")
                        .path("k8s.v1.cni.cncf.io/network-status")
                        .asText("");
                assertThat(status).as("%s/%s network-status", ns, name).isNotEmpty();
                JsonNode entry = JSON.readTree(status).get(0);
                String ip = p.path("status").path("podIP").asText("");
                assertThat(entry.path("ips").get(0).asText()).isEqualTo(ip);
                assertThat(entry.path("mac").asText()).matches("02(:[0-9a-f]{2}){5}");
                String network = entry.path("name").asText();
                String expected =
                    name.equals("left-1") || ns.equals("ns-custom")
                        ? "default-domain:k8s-default:vn-left-1"
                        : ns.startsWith("ns-isolated")
                            ? "default-domain:k8s-" + ns + ":k8s-" + ns + "-pod-network"
                            : "default-domain:k8s-default:k8s-default-pod-network";
                assertThat(network).as("%s/%s", ns, name).isEqualTo(expected);
                String subnet = network.endsWith("vn-left-1") ? "10.200.1.0/24" : "10.32.0.0/12";
                assertThat(IpPrefix.parse(subnet).contains(ip))
                    .as("%s/%s ip %s", ns, name, ip)
                    .isTrue();
              }
            });
    assertThat(weftNames("virtual-networks"))
        .containsExactlyInAnyOrder(
            "default-domain:k8s-default:k8s-default-pod-network",
            "default-domain:k8s-default:k8s-default-service-network",
            "default-domain:k8s-ns-isolated:k8s-ns-isolated-pod-network",
            "default-domain:k8s-ns-isolated:k8s-ns-isolated-service-network",
            "default-domain:k8s-ns-isolated-svc-open:k8s-ns-isolated-svc-open-pod-network",
            "default-domain:k8s-ns-isolated-svc-open:k8s-ns-isolated-svc-open-service-network",
            "default-domain:k8s-default:vn-left-1",
            "default-domain:k8s-default:vn-public-1");
    // One per pod, and the VIP of each of the four services.
    await().atMost(Duration.ofSeconds(30)).until(() -> weftNames("instance-ips").size() == 12);
    assertThat(weftNames("instance-ips"))
        .contains(
            "k8s__default__webserver__vip",
            "k8s__default__webserver-public__vip",
            "k8s__ns-isolated__webserver__vip",
            "k8s__ns-isolated-svc-open__webserver__vip");
    String table = weft(0, "get", "virtual-networks");
    assertThat(table).startsWith("NAME").contains("k8s-ns-isolated-pod-network", "10.200.1.0/24");
    // The LoadBalancer service's floating IP, from the pool its annotation names, in its status.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                weftNames("floating-ips")
                    .contains(
                        "default-domain:k8s-default:vn-public-1:pool-public-1:k8s__default__webserver-public"));
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                weft(0, "get", "services")
                    .matches(
                        "(?s).*webserver-public\\s+LoadBalancer\\s+\\S+\\s+198\\.51\\.100\\.\\d+.*"));
    String external = weft(0, "probe", "--from", "external", "--to", "services", "-o", "json");
    var matrix = JSON.readTree(external);
    List<String> columns = new java.util.ArrayList<>();
    matrix.path("destinations").forEach(d -> columns.add(d.asText()));
    String row = matrix.path("matrix").get(0).asText();
    assertThat(row.charAt(columns.indexOf("default/webserver-public:80/TCP"))).isEqualTo('.');
    assertThat(row.charAt(columns.indexOf("default/webserver:8080/TCP"))).isEqualTo('X');
    String pods = weft(0, "get", "pods", "-n", "ns-isolated");
    assertThat(pods)
        .contains("webserver-1", "k8s-ns-isolated-pod-network")
        .doesNotContain("NAMESPACE");
  }

  @Test
  @Order(3)
  void tablesShowWhatKubectlShowsForEventsPoliciesAndSlices(@TempDir Path manifests)
      throws Exception {
    Path bad = manifests.resolve("bad.yaml");
    java.nio.file.Files.writeString(
        bad,
        """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: bad-np, namespace: default}
        spec:
          podSelector:
            matchLabels: {app: web}
            matchExpressions: [{key: tier, operator: Bogus, values: [a]}]
          ingress: [{ports: [{port: 70000}]}]
        """);
    weft(0, "apply", "-f", bad.toString());
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(weft(0, "get", "events"))
                    .contains("LAST SEEN")
                    .containsPattern(
                        "Warning +InvalidNetworkPolicy +networkpolicy/bad-np +networkpolicy"
                            + " \"default/bad-np\" is refused"));
    assertThat(weft(0, "get", "netpol"))
        .containsPattern("bad-np +app=web,tier Bogus \\(a\\) +\\(inferred\\)");
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(weft(0, "get", "endpointslices"))
                    .containsPattern("webserver-\\w+ +IPv4 +80 +10\\.")
                    .contains("ADDRESSTYPE"));
    weft(0, "delete", "-f", bad.toString());
  }

  @Test
  @Order(3)
  void userNetworksInUseCannotBeDeletedFromUnderThePods() throws Exception {
    String uuid =
        JSON.readTree(
                new ServerClient(server.apiUrl())
                    .post(
                        "/fqname-to-id",
                        JSON.readTree(
                            "{\"type\":\"virtual-network\",\"fq_name\":[\"default-domain\",\"k8s-default\",\"vn-left-1\"]}"))
                    .toString())
            .path("uuid")
            .asText();
    assertThat(uuid).isNotEmpty();
    var http = java.net.http.HttpClient.newHttpClient();
    var response =
        http.send(
            java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(server.apiUrl() + "/virtual-network/" + uuid))
                .DELETE()
                .build(),
            java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(409);
    assertThat(response.body()).contains("in use");
  }

  @Test
  @Order(4)
  void deletingTheExamplesReturnsTheStoreToTheClusterObjects() throws Exception {
    weft(0, "delete", "-f", EXAMPLES.toString());
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> assertThat(everything()).isEqualTo(baseline));
    assertThat(server.store().range(dev.weft.store.ipam.Ipam.PREFIX).kvs()).isEmpty();
  }

  @Test
  @Order(5)
  void unknownKindsAndUnreachableServersGiveClearErrors() {
    assertThat(Main.run("get", "widgets", "--server", server.apiUrl())).isEqualTo(1);
    assertThat(Main.run("get", "pods", "--server", "http://127.0.0.1:1")).isEqualTo(1);
  }
}
