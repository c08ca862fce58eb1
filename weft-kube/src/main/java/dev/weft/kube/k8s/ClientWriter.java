package dev.weft.kube.k8s;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.kube.reconcile.KubeWriter;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes pod annotations (synchronously: a reconcile is done only when the pod shows its result)
 * and Events (asynchronously and best-effort: a slow API server must not hold up the network).
 */
public final class ClientWriter implements KubeWriter, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ClientWriter.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private final KubernetesClient client;
  private final Clock clock;
  private final ExecutorService events =
      Executors.newSingleThreadExecutor(
          r -> {
            Thread t = new Thread(r, "weft-events");
            t.setDaemon(true);
            return t;
          });
  private final AtomicLong sequence = new AtomicLong();

  public ClientWriter(KubernetesClient client, Clock clock) {
    this.client = client;
    this.clock = clock;
  }

  @Override
  public void annotatePod(String namespace, String name, String uid, String key, String value) {
    ObjectNode patch = JSON.createObjectNode();
    ObjectNode metadata = patch.putObject("metadata");
    // uid in a merge patch is a precondition for the API server: a recreated pod is not touched.
    metadata.put("uid", uid);
    metadata.putObject("annotations").put(key, value);
    try {
      client
          .pods()
          .inNamespace(namespace)
          .resource(KubeObjects.podRef(namespace, name))
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404 || e.getCode() == 409) {
        return;
      }
      throw e;
    }
  }

  /**
   * A JSON patch of the status subresource, guarded by a {@code test} of the UID so a service
   * recreated under the same name is not touched; the whole {@code loadBalancer} is replaced (a
   * merge patch would append to the ingress list on some API servers).
   */
  @Override
  public void serviceIngress(String namespace, String name, String uid, List<String> ips) {
    List<Map<String, Object>> ingress = new ArrayList<>();
    for (String ip : ips) {
      ingress.add(Map.of("ip", ip));
    }
    List<Map<String, Object>> patch =
        List.of(
            Map.of("op", "test", "path", "/metadata/uid", "value", uid),
            Map.of(
                "op",
                "add",
                "path",
                "/status",
                "value",
                Map.of("loadBalancer", ingress.isEmpty() ? Map.of() : Map.of("ingress", ingress))));
    try {
      client
          .services()
          .inNamespace(namespace)
          .withName(name)
          .subresource("status")
          .patch(PatchContext.of(PatchType.JSON), JSON.writeValueAsString(patch));
    } catch (KubernetesClientException e) {
      // Gone (404), replaced (the test fails: 409 or 422): the new service is reconciled anew.
      if (e.getCode() == 404 || e.getCode() == 409 || e.getCode() == 422) {
        return;
      }
      throw e;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void event(
      String kind,
      String namespace,
      String name,
      String uid,
      String type,
      String reason,
      String message) {
    String eventNamespace = namespace.isEmpty() ? "default" : namespace;
    Instant now = clock.instant();
    String stamp = now.toString();
    Event event =
        new EventBuilder()
            .withNewMetadata()
            .withName(
                name + "." + Long.toHexString(now.toEpochMilli()) + sequence.incrementAndGet())
            .withNamespace(eventNamespace)
            .endMetadata()
            .withNewInvolvedObject()
            .withApiVersion(apiVersion(kind))
            .withKind(kind)
            .withName(name)
            .withNamespace(namespace.isEmpty() ? null : namespace)
            .withUid(uid)
            .endInvolvedObject()
            .withType(type)
            .withReason(reason)
            .withMessage(message)
            .withCount(1)
            .withFirstTimestamp(stamp)
            .withLastTimestamp(stamp)
            .withNewSource()
            .withComponent("weft-kube-manager")
            .endSource()
            .withReportingComponent("weft-kube-manager")
            .build();
    events.execute(
        () -> {
          try {
            client.v1().events().inNamespace(eventNamespace).resource(event).create();
          } catch (RuntimeException e) {
            log.warn(
                "could not record event {} on {} {}/{}: {}",
                reason,
                kind,
                namespace,
                name,
                e.getMessage());
          }
        });
  }

  /** The API group/version of the kinds Weft records Events on. */
  private static String apiVersion(String kind) {
    return switch (kind) {
      case "NetworkPolicy", "Ingress" -> "networking.k8s.io/v1";
      default -> "v1";
    };
  }

  @Override
  public void close() {
    events.shutdown();
  }
}
