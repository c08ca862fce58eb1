package dev.weft.api;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The Kubernetes cluster Weft is attached to, as the config API's passthrough routes ({@code
 * /k8s/...}) use it, so the CLI can drive everything through one {@code --server}.
 *
 * <p>Implementations are thread-safe and may block. Exceptions become JSON errors: {@link
 * IllegalArgumentException} is answered 400, {@link java.util.NoSuchElementException} 404, {@link
 * UnsupportedOperationException} 501, anything else 502; their messages are shown to the user.
 */
public interface KubernetesGateway {
  /**
   * Lists objects as the API server would ({@code {"apiVersion": "v1", "kind": "PodList", "items":
   * [...]}}).
   *
   * @param kind lower-case plural such as {@code pods}, {@code namespaces}, {@code nodes}, {@code
   *     services}
   * @param namespace the namespace to list, or null for all namespaces (and cluster-scoped kinds)
   */
  JsonNode list(String kind, String namespace);

  /**
   * Creates or replaces {@code object}; labels and annotations missing from it are removed.
   *
   * @return the object as the cluster stored it
   */
  JsonNode apply(JsonNode object);

  /**
   * Deletes the object named by {@code object}'s apiVersion, kind, namespace and name.
   *
   * @return false when there was no such object
   */
  boolean delete(JsonNode object);
}
