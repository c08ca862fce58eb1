package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.kube.embedded.EmbeddedKubernetes;
import dev.weft.kube.embedded.StandIns;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code weft apply} of a Service against the embedded API: what the cluster chose stays. */
class FabricGatewayTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private EmbeddedKubernetes api;
  private KubernetesClient client;
  private KubernetesClient standInClient;
  private StandIns standIns;
  private FabricGateway gateway;

  @BeforeEach
  void start() {
    api = EmbeddedKubernetes.start(0, null);
    client = api.newClient();
    standInClient = api.newClient();
    standIns = new StandIns(standInClient, List.of("node-1"), Clock.systemUTC());
    standIns.start();
    gateway = new FabricGateway(client);
  }

  @AfterEach
  void stop() {
    // Workers, then the API, then the watches (see WeftServer#close).
    standIns.stopWorkers();
    api.close();
    standIns.close();
    standInClient.close();
    client.close();
  }

  private static JsonNode service(String type, String ports) throws Exception {
    return JSON.readTree(
        """
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "web", "namespace": "default"},
         "spec": {"type": "%s", "selector": {"app": "web"}, "ports": %s}}
        """
            .formatted(type, ports));
  }

  private List<Integer> nodePorts() {
    return client
        .services()
        .inNamespace("default")
        .withName("web")
        .get()
        .getSpec()
        .getPorts()
        .stream()
        .map(ServicePort::getNodePort)
        .toList();
  }

  /** Applies the web service as a NodePort with two ports and waits for its node ports. */
  private List<Integer> created() throws Exception {
    String ports =
        """
        [{"name": "http", "port": 80, "targetPort": 8080},
         {"name": "https", "port": 443, "targetPort": 8443}]
        """;
    assertThat(gateway.apply(service("NodePort", ports)).path("result").asText())
        .isEqualTo("created");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> nodePorts().stream().allMatch(Objects::nonNull));
    assertThat(standIns.awaitIdle(Duration.ofSeconds(30))).isTrue();
    return nodePorts();
  }

  @Test
  void reApplyingAServiceWithoutNodePortsKeepsTheOnesTheClusterChose() throws Exception {
    List<Integer> chosen = created();
    String ports =
        """
        [{"name": "http", "port": 80, "targetPort": 8080},
         {"name": "https", "port": 443, "targetPort": 8443}]
        """;
    assertThat(gateway.apply(service("NodePort", ports)).path("result").asText())
        .isEqualTo("unchanged");
    assertThat(nodePorts()).isEqualTo(chosen);

    // A real change keeps them too; a renamed port is matched by port number and protocol.
    String changed =
        """
        [{"name": "web", "port": 80, "targetPort": 9090},
         {"name": "https", "port": 443, "targetPort": 8443}]
        """;
    JsonNode out = gateway.apply(service("NodePort", changed));
    assertThat(out.path("result").asText()).isEqualTo("configured");
    assertThat(out.at("/object/spec/ports/0/nodePort").asInt()).isEqualTo(chosen.get(0));
    assertThat(out.at("/object/spec/ports/1/nodePort").asInt()).isEqualTo(chosen.get(1));
  }

  @Test
  void aNodePortTheManifestGivesWinsAndAClusterIpServiceGetsNone() throws Exception {
    List<Integer> chosen = created();
    int asked = chosen.get(0) == 30999 ? 30998 : 30999;
    String ports =
        """
        [{"name": "http", "port": 80, "targetPort": 8080, "nodePort": %d},
         {"name": "https", "port": 443, "targetPort": 8443}]
        """
            .formatted(asked);
    JsonNode out = gateway.apply(service("NodePort", ports));
    assertThat(out.at("/object/spec/ports/0/nodePort").asInt()).isEqualTo(asked);
    assertThat(out.at("/object/spec/ports/1/nodePort").asInt()).isEqualTo(chosen.get(1));

    String plain =
        """
        [{"name": "http", "port": 80, "targetPort": 8080},
         {"name": "https", "port": 443, "targetPort": 8443}]
        """;
    out = gateway.apply(service("ClusterIP", plain));
    assertThat(out.at("/object/spec/ports/0/nodePort").isMissingNode()).isTrue();
    assertThat(out.at("/object/spec/ports/1/nodePort").isMissingNode()).isTrue();
    assertThat(out.at("/object/spec/clusterIP").asText()).isNotEmpty();
  }
}
