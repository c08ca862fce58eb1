package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.kube.ClusterConfig;
import dev.weft.store.KeyValue;
import dev.weft.store.etcd.EtcdConfigStore;
import dev.weft.store.etcd.EtcdExtension;
import dev.weft.store.etcd.EtcdStoreConfig;
import dev.weft.store.objects.ObjectKeys;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weft up --store etcd://...} end to end, in the shaded classpath of the CLI where jetcd's
 * Vert.x 5 / Netty 4.2 sit beside fabric8's Vert.x 4.5 / Netty 4.1.
 */
class EtcdStoreEndToEndTest {
  @RegisterExtension static final EtcdExtension ETCD = EtcdExtension.members(1);

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String DEFAULT_POD_NETWORK =
      "default-domain:k8s-default:k8s-default-pod-network";

  @TempDir Path dir;

  @Test
  void weftUpOnEtcdKeepsItsObjectsInEtcdUnderItsNamespace() throws Exception {
    String url = "etcd://" + ETCD.cluster().endpoint(0) + "/weft-e2e";
    try (WeftServer server =
        WeftServer.start(
            new WeftServer.Options(
                dir,
                "127.0.0.1",
                0,
                null,
                0,
                url,
                ClusterConfig.defaults(),
                List.of("node-1", "node-2"),
                2))) {
      assertThat(server.store().describe()).isEqualTo(url + "/");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> names(server, "virtual-networks").contains(DEFAULT_POD_NETWORK));

      try (EtcdConfigStore direct =
          EtcdConfigStore.connect(EtcdStoreConfig.parse(url.replace("/weft-e2e", "")))) {
        List<String> keys =
            direct.range("/weft-e2e/" + ObjectKeys.OBJECTS).kvs().stream()
                .map(KeyValue::key)
                .toList();
        assertThat(keys).anyMatch(k -> k.contains("/virtual-network/"));
      }
    }
  }

  @Test
  void aMalformedEtcdUrlIsRefusedSayingWhatIsExpected() {
    assertThatThrownBy(() -> StoreFactory.open("etcd://h1:port", dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("--store")
        .hasMessageContaining("etcd://HOST:PORT[,HOST:PORT...][/NAMESPACE]");
    assertThatThrownBy(() -> StoreFactory.open("zookeeper://h1:2181", dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(StoreFactory.FORMS);
  }

  private static Set<String> names(WeftServer server, String plural) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream saved = System.out;
    int code;
    synchronized (System.class) {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      try {
        code = Main.run(new String[] {"get", plural, "-o", "json", "--server", server.apiUrl()});
      } finally {
        System.setOut(saved);
      }
    }
    assertThat(code).isZero();
    Set<String> names = new TreeSet<>();
    for (JsonNode o : JSON.readTree(out.toString(StandardCharsets.UTF_8)).path(plural)) {
      List<String> parts = new ArrayList<>();
      o.path("fq_name").forEach(p -> parts.add(p.asText()));
      names.add(String.join(":", parts));
    }
    return names;
  }
}
