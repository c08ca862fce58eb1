package dev.weft.model;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Who owns an object Weft derived from Kubernetes, recorded as annotations ({@code owner}, {@code
 * cluster}, {@code namespace}, {@code name}, {@code kind}, {@code k8s_uuid}).
 *
 * <p>{@link #key()} is the work-queue key of the reconciler that owns the object, so objects left
 * behind by a crash can be found and collected.
 *
 * @param kind Kubernetes kind ({@code Pod}, {@code Namespace}) or {@code Cluster} for bootstrap
 *     objects
 * @param namespace namespace of the Kubernetes object; empty for cluster-scoped ones
 * @param k8sUid UID of the Kubernetes object; empty for bootstrap objects
 */
public record Owner(String cluster, String kind, String namespace, String name, String k8sUid) {
  public static final String OWNER = "owner";
  public static final String CLUSTER = "cluster";
  public static final String NAMESPACE = "namespace";
  public static final String NAME = "name";
  public static final String KIND = "kind";
  public static final String K8S_UUID = "k8s_uuid";

  /** Value of the {@code owner} annotation on objects Weft derives from Kubernetes. */
  public static final String K8S = "k8s";

  public Owner {
    Objects.requireNonNull(cluster, "cluster");
    Objects.requireNonNull(kind, "kind");
    namespace = namespace == null ? "" : namespace;
    Objects.requireNonNull(name, "name");
    k8sUid = k8sUid == null ? "" : k8sUid;
  }

  public static Owner cluster(String cluster) {
    return new Owner(cluster, "Cluster", "", cluster, "");
  }

  public static Owner namespace(String cluster, String namespace, String uid) {
    return new Owner(cluster, "Namespace", "", namespace, uid);
  }

  public static Owner node(String cluster, String name, String uid) {
    return new Owner(cluster, "Node", "", name, uid);
  }

  public static Owner pod(String cluster, String namespace, String name, String uid) {
    return new Owner(cluster, "Pod", namespace, name, uid);
  }

  /** Reads the owner from annotations; empty when the object is not owned by Kubernetes. */
  public static Optional<Owner> from(Map<String, String> annotations) {
    if (annotations == null || !K8S.equals(annotations.get(OWNER))) {
      return Optional.empty();
    }
    String kind = annotations.get(KIND);
    String name = annotations.get(NAME);
    String cluster = annotations.get(CLUSTER);
    if (kind == null || name == null || cluster == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Owner(
            cluster,
            kind,
            annotations.getOrDefault(NAMESPACE, ""),
            name,
            annotations.getOrDefault(K8S_UUID, "")));
  }

  /** The owner annotations. */
  public Map<String, String> annotations() {
    Map<String, String> out = new LinkedHashMap<>();
    out.put(OWNER, K8S);
    out.put(CLUSTER, cluster);
    if (!namespace.isEmpty()) {
      out.put(NAMESPACE, namespace);
    }
    out.put(NAME, name);
    out.put(KIND, kind);
    if (!k8sUid.isEmpty()) {
      out.put(K8S_UUID, k8sUid);
    }
    return out;
  }

  /** Work-queue key of the owning reconciler: {@code Pod/ns/name}, {@code Namespace/ns}. */
  public String key() {
    return namespace.isEmpty() ? kind + "/" + name : kind + "/" + namespace + "/" + name;
  }
}
