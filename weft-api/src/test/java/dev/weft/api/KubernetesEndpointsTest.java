package dev.weft.api;

import static dev.weft.api.ApiHarness.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.api.ApiHarness.Response;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KubernetesEndpointsTest {
  /** Keeps objects by kind/namespace/name, as a tiny stand-in cluster. */
  static final class FakeGateway implements KubernetesGateway {
    final Map<String, JsonNode> objects = new ConcurrentHashMap<>();

    private static String kindOf(JsonNode object) {
      String kind = object.path("kind").asText();
      if (kind.isEmpty()) {
        throw new IllegalArgumentException("the object has no kind");
      }
      return kind.toLowerCase() + "s";
    }

    private static String key(String kind, JsonNode object) {
      return kind
          + "/"
          + object.path("metadata").path("namespace").asText()
          + "/"
          + object.path("metadata").path("name").asText();
    }

    @Override
    public JsonNode list(String kind, String namespace) {
      if (kind.equals("widgets")) {
        throw new NoSuchElementException("the cluster has no resource \"widgets\"");
      }
      if (kind.equals("secrets")) {
        throw new IllegalStateException("forbidden: secrets");
      }
      ObjectNode list = JsonNodeFactory.instance.objectNode();
      list.put("apiVersion", "v1");
      list.put("kind", "List");
      ArrayNode items = list.putArray("items");
      objects.forEach(
          (k, v) -> {
            if (k.startsWith(kind + "/")
                && (namespace == null
                    || namespace.equals(v.path("metadata").path("namespace").asText()))) {
              items.add(v);
            }
          });
      return list;
    }

    @Override
    public JsonNode apply(JsonNode object) {
      objects.put(key(kindOf(object), object), object);
      return object;
    }

    @Override
    public boolean delete(JsonNode object) {
      return objects.remove(key(kindOf(object), object)) != null;
    }
  }

  private final FakeGateway gateway = new FakeGateway();
  private final ApiHarness api = new ApiHarness(gateway);

  @AfterEach
  void close() {
    api.close();
  }

  private static JsonNode pod(String namespace, String name) {
    return json(
        "{'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': '"
            + name
            + "', 'namespace': '"
            + namespace
            + "', 'labels': {'app': 'web'}}}");
  }

  @Test
  void appliesListsAndDeletesThroughTheGateway() {
    Response applied = api.post("/k8s/apply", pod("default", "web-1"));
    api.post("/k8s/apply", pod("user-1", "web-2"));

    Response all = api.get("/k8s/pods");
    Response inDefault = api.get("/k8s/pods?namespace=default");
    Response deleted = api.post("/k8s/delete", pod("default", "web-1"));
    Response again = api.post("/k8s/delete", pod("default", "web-1"));

    assertThat(applied.status()).isEqualTo(200);
    assertThat(applied.body().get("metadata").get("name").asText()).isEqualTo("web-1");
    assertThat(all.body().get("items")).hasSize(2);
    assertThat(inDefault.body().get("items")).hasSize(1);
    assertThat(inDefault.body().get("items").get(0).get("metadata").get("name").asText())
        .isEqualTo("web-1");
    assertThat(deleted.body().get("result").asText()).isEqualTo("deleted");
    assertThat(deleted.body().get("namespace").asText()).isEqualTo("default");
    assertThat(deleted.body().get("name").asText()).isEqualTo("web-1");
    assertThat(again.body().get("result").asText()).isEqualTo("not found");
    assertThat(gateway.objects).hasSize(1);
  }

  @Test
  void gatewayExceptionsBecomeJsonErrorsWithFittingStatus() {
    Response badObject = api.post("/k8s/apply", json("{'metadata': {'name': 'x'}}"));
    Response unknownKind = api.get("/k8s/widgets");
    Response failure = api.get("/k8s/secrets");

    assertThat(badObject.status()).isEqualTo(400);
    assertThat(badObject.error()).isEqualTo("the object has no kind");
    assertThat(unknownKind.status()).isEqualTo(404);
    assertThat(unknownKind.error()).isEqualTo("the cluster has no resource \"widgets\"");
    assertThat(failure.status()).isEqualTo(502);
    assertThat(failure.error()).isEqualTo("Kubernetes API: forbidden: secrets");
  }

  @Test
  void weftDocumentsAreNotSentToTheCluster() {
    Response r =
        api.post(
            "/k8s/apply",
            json("{'apiVersion': 'weft/v1', 'kind': 'VirtualNetwork', 'metadata': {'name': 'x'}}"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).contains("send them to /apply");
    assertThat(gateway.objects).isEmpty();
  }

  @Test
  void kindMustBeALowerCasePlural() {
    Response r = api.get("/k8s/Pods");

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.error()).contains("lower-case plural");
  }

  @Test
  void withoutAClusterTheRoutesAnswer503() {
    try (ApiHarness detached = new ApiHarness()) {
      Response list = detached.get("/k8s/pods");
      Response apply = detached.post("/k8s/apply", pod("default", "web-1"));

      assertThat(list.status()).isEqualTo(503);
      assertThat(list.error()).contains("not attached to a Kubernetes cluster");
      assertThat(apply.status()).isEqualTo(503);
    }
  }
}
