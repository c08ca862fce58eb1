package dev.weft.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.api.KubernetesGateway;
import dev.weft.kube.translate.KubeAnnotations;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * Serves the Kubernetes side of {@code weft get / apply / delete} through the client Weft is
 * attached to. Apply is create-or-replace: labels and annotations missing from the applied object
 * are removed, while what the cluster itself maintains (status, the node a pod is bound to, a
 * service's cluster IPs and the node ports it chose, a namespace's {@code
 * kubernetes.io/metadata.name} label, the network-status annotation Weft writes) is kept, as
 * kubectl apply would keep fields it does not manage.
 */
final class FabricGateway implements KubernetesGateway {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final KubernetesClient client;

  FabricGateway(KubernetesClient client) {
    this.client = client;
  }

  @Override
  public JsonNode list(String kindName, String namespace) {
    KubeKinds.KubeKind kind =
        KubeKinds.byName(kindName)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        "unknown kind \""
                            + kindName
                            + "\"; Kubernetes kinds: "
                            + KubeKinds.names()));
    var op = client.genericKubernetesResources(kind.context());
    GenericKubernetesResourceList list =
        kind.namespaced() && namespace != null
            ? op.inNamespace(namespace).list()
            : op.inAnyNamespace().list();
    List<GenericKubernetesResource> items =
        list.getItems().stream()
            .sorted(
                Comparator.comparing(
                        (GenericKubernetesResource r) ->
                            r.getMetadata().getNamespace() == null
                                ? ""
                                : r.getMetadata().getNamespace())
                    .thenComparing(r -> r.getMetadata().getName()))
            .toList();
    ObjectNode out = JSON.createObjectNode();
    out.put("apiVersion", kind.apiVersion());
    out.put("kind", kind.kind() + "List");
    out.putObject("metadata")
        .put(
            "resourceVersion",
            list.getMetadata() == null
                ? ""
                : String.valueOf(list.getMetadata().getResourceVersion()));
    ArrayNode array = out.putArray("items");
    for (GenericKubernetesResource r : items) {
      ObjectNode item = (ObjectNode) JSON.valueToTree(r);
      item.put("apiVersion", kind.apiVersion());
      item.put("kind", kind.kind());
      array.add(item);
    }
    return out;
  }

  @Override
  public JsonNode apply(JsonNode object) {
    KubeKinds.KubeKind kind = kindOf(object);
    GenericKubernetesResource applied =
        Serialization.unmarshal(object.toString(), GenericKubernetesResource.class);
    String name = applied.getMetadata() == null ? null : applied.getMetadata().getName();
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(kind.kind() + ": metadata.name is required");
    }
    var op = client.genericKubernetesResources(kind.context());
    var resource =
        kind.namespaced() ? op.inNamespace(namespaceOf(applied)).withName(name) : op.withName(name);
    if (kind.namespaced()) {
      String ns = namespaceOf(applied);
      applied.getMetadata().setNamespace(ns);
      if (client.namespaces().withName(ns).get() == null) {
        throw new NoSuchElementException(
            "namespace \"" + ns + "\" does not exist; create it first");
      }
    }
    // Read, merge, write with the version read; a controller writing the object in between (the
    // kubelet updating a pod's status, say) makes the write conflict: read and merge again, as a
    // controller does, rather than fail an apply whose intent does not conflict with that write.
    for (int attempt = 1; ; attempt++) {
      try {
        return applyOnce(kind, op, resource, object);
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409 && attempt < 10) {
          continue;
        }
        throw new IllegalArgumentException(kind.kind() + " " + name + ": " + e.getMessage(), e);
      }
    }
  }

  private JsonNode applyOnce(
      KubeKinds.KubeKind kind,
      io.fabric8.kubernetes.client.dsl.MixedOperation<
              GenericKubernetesResource,
              io.fabric8.kubernetes.api.model.GenericKubernetesResourceList,
              io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource>>
          op,
      io.fabric8.kubernetes.client.dsl.Resource<GenericKubernetesResource> resource,
      JsonNode object) {
    GenericKubernetesResource applied =
        Serialization.unmarshal(object.toString(), GenericKubernetesResource.class);
    if (kind.namespaced()) {
      applied.getMetadata().setNamespace(namespaceOf(applied));
    }
    GenericKubernetesResource existing = resource.get();
    String result;
    GenericKubernetesResource stored;
    if (existing == null) {
      stored = op.resource(applied).create();
      result = "created";
    } else {
      keepClusterFields(kind, existing, applied);
      if (sameIntent(existing, applied)) {
        stored = existing;
        result = "unchanged";
      } else {
        applied.getMetadata().setResourceVersion(existing.getMetadata().getResourceVersion());
        applied.getMetadata().setUid(existing.getMetadata().getUid());
        applied.getMetadata().setCreationTimestamp(existing.getMetadata().getCreationTimestamp());
        stored = op.resource(applied).update();
        result = "configured";
      }
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("result", result);
    out.put("kind", kind.kind());
    out.put("plural", kind.plural());
    out.set("object", JSON.valueToTree(stored));
    return out;
  }

  @Override
  public boolean delete(JsonNode object) {
    KubeKinds.KubeKind kind = kindOf(object);
    GenericKubernetesResource applied =
        Serialization.unmarshal(object.toString(), GenericKubernetesResource.class);
    var op = client.genericKubernetesResources(kind.context());
    String name = applied.getMetadata().getName();
    var resource =
        kind.namespaced() ? op.inNamespace(namespaceOf(applied)).withName(name) : op.withName(name);
    if (resource.get() == null) {
      return false;
    }
    resource.delete();
    return true;
  }

  private static KubeKinds.KubeKind kindOf(JsonNode object) {
    String apiVersion = object.path("apiVersion").asText();
    String kind = object.path("kind").asText();
    return KubeKinds.of(apiVersion, kind)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "kind "
                        + apiVersion
                        + "/"
                        + kind
                        + " is not one Weft handles; Kubernetes kinds: "
                        + KubeKinds.names()));
  }

  private static String namespaceOf(GenericKubernetesResource r) {
    String ns = r.getMetadata().getNamespace();
    return ns == null || ns.isBlank() ? "default" : ns;
  }

  /** Copies what the control plane maintains from {@code existing} into {@code applied}. */
  @SuppressWarnings("unchecked")
  private static void keepClusterFields(
      KubeKinds.KubeKind kind,
      GenericKubernetesResource existing,
      GenericKubernetesResource applied) {
    Map<String, Object> props = applied.getAdditionalProperties();
    Map<String, Object> old = existing.getAdditionalProperties();
    if (!props.containsKey("status") && old.containsKey("status")) {
      props.put("status", old.get("status"));
    }
    Object oldSpec = old.get("spec");
    Object newSpec = props.get("spec");
    if (oldSpec instanceof Map<?, ?> os && newSpec instanceof Map<?, ?> ns) {
      Map<String, Object> spec = (Map<String, Object>) ns;
      // Fields the control plane fills in when the manifest leaves them out: a pod's node, a
      // service's cluster IPs and the IP families it chose for them.
      for (String field :
          List.of("nodeName", "clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy")) {
        if (("Pod".equals(kind.kind()) && field.equals("nodeName"))
            || ("Service".equals(kind.kind()) && !field.equals("nodeName"))) {
          if (!spec.containsKey(field) && os.containsKey(field)) {
            spec.put(field, os.get(field));
          }
        }
      }
      if ("Service".equals(kind.kind())) {
        keepNodePorts((Map<String, Object>) os, spec);
      }
    }
    // The API server sets this label on every namespace; it is not the applier's to remove.
    String nameLabel = "kubernetes.io/metadata.name";
    Map<String, String> oldLabels = existing.getMetadata().getLabels();
    if ("Namespace".equals(kind.kind()) && oldLabels != null && oldLabels.containsKey(nameLabel)) {
      var labels = applied.getMetadata().getLabels();
      if (labels == null) {
        labels = new java.util.LinkedHashMap<>();
        applied.getMetadata().setLabels(labels);
      }
      labels.putIfAbsent(nameLabel, oldLabels.get(nameLabel));
    }
    Map<String, String> oldAnnotations = existing.getMetadata().getAnnotations();
    if (oldAnnotations != null && oldAnnotations.containsKey(KubeAnnotations.NETWORK_STATUS)) {
      var annotations = applied.getMetadata().getAnnotations();
      if (annotations == null) {
        annotations = new java.util.LinkedHashMap<>();
        applied.getMetadata().setAnnotations(annotations);
      }
      annotations.putIfAbsent(
          KubeAnnotations.NETWORK_STATUS, oldAnnotations.get(KubeAnnotations.NETWORK_STATUS));
    }
  }

  /**
   * Gives each port of the applied service spec that has no {@code nodePort} the one the cluster
   * chose for the same port before: matched by name, else by port number and protocol. Only for
   * types that have node ports; a service turning ClusterIP loses them, as the API server drops
   * them.
   */
  @SuppressWarnings("unchecked")
  private static void keepNodePorts(Map<String, Object> oldSpec, Map<String, Object> spec) {
    Object type = spec.get("type");
    if (!("NodePort".equals(type) || "LoadBalancer".equals(type))
        || !(oldSpec.get("ports") instanceof List<?> oldPorts)
        || !(spec.get("ports") instanceof List<?> newPorts)) {
      return;
    }
    for (Object o : newPorts) {
      if (!(o instanceof Map<?, ?> m) || nodePortOf(m) != null) {
        continue;
      }
      Map<String, Object> port = (Map<String, Object>) m;
      Map<?, ?> before = matchingPort(oldPorts, port);
      Integer chosen = before == null ? null : nodePortOf(before);
      if (chosen != null && !usedOn(newPorts, chosen, protocolOf(port))) {
        port.put("nodePort", chosen);
      }
    }
  }

  /** The port of {@code ports} with the name of {@code port}, else with its number and protocol. */
  private static Map<?, ?> matchingPort(List<?> ports, Map<String, Object> port) {
    Object name = port.get("name");
    if (name instanceof String n && !n.isEmpty()) {
      for (Object o : ports) {
        if (o instanceof Map<?, ?> m && n.equals(m.get("name"))) {
          return m;
        }
      }
    }
    Integer number = intOf(port.get("port"));
    for (Object o : ports) {
      if (o instanceof Map<?, ?> m
          && number != null
          && number.equals(intOf(m.get("port")))
          && protocolOf(port).equals(protocolOf(m))) {
        return m;
      }
    }
    return null;
  }

  /** Whether a port of {@code ports} already has node port {@code nodePort} on {@code protocol}. */
  private static boolean usedOn(List<?> ports, int nodePort, String protocol) {
    for (Object o : ports) {
      if (o instanceof Map<?, ?> m
          && Integer.valueOf(nodePort).equals(nodePortOf(m))
          && protocol.equals(protocolOf(m))) {
        return true;
      }
    }
    return false;
  }

  /** A port's node port; none when absent or 0, as the API reads it. */
  private static Integer nodePortOf(Map<?, ?> port) {
    Integer n = intOf(port.get("nodePort"));
    return n == null || n == 0 ? null : n;
  }

  private static String protocolOf(Map<?, ?> port) {
    return port.get("protocol") instanceof String p && !p.isEmpty() ? p : "TCP";
  }

  private static Integer intOf(Object value) {
    if (value instanceof Number n) {
      return n.intValue();
    }
    if (value instanceof String s) {
      try {
        return Integer.valueOf(s.trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  private static boolean sameIntent(GenericKubernetesResource a, GenericKubernetesResource b) {
    return orEmpty(a.getMetadata().getLabels()).equals(orEmpty(b.getMetadata().getLabels()))
        && orEmpty(a.getMetadata().getAnnotations())
            .equals(orEmpty(b.getMetadata().getAnnotations()))
        && sameFields(a.getAdditionalProperties(), b.getAdditionalProperties());
  }

  private static boolean sameFields(Map<String, Object> a, Map<String, Object> b) {
    ObjectNode ja = JSON.valueToTree(a);
    ObjectNode jb = JSON.valueToTree(b);
    ja.remove("status");
    jb.remove("status");
    return ja.equals(jb);
  }

  private static Map<String, String> orEmpty(Map<String, String> m) {
    return m == null ? Map.of() : m;
  }
}
