package dev.weft.kube.k8s;

import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.NodeInfo;
import dev.weft.kube.translate.PodInfo;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;

/** Translation of fabric8 objects into Weft's records. */
public final class KubeObjects {
  private KubeObjects() {}

  public static NamespaceInfo namespace(Namespace ns) {
    var m = ns.getMetadata();
    return new NamespaceInfo(m.getName(), m.getUid(), m.getLabels(), m.getAnnotations());
  }

  public static NodeInfo node(Node node) {
    var m = node.getMetadata();
    String ip = null;
    if (node.getStatus() != null && node.getStatus().getAddresses() != null) {
      ip =
          node.getStatus().getAddresses().stream()
              .filter(a -> "InternalIP".equals(a.getType()))
              .map(a -> a.getAddress())
              .findFirst()
              .orElse(null);
    }
    return new NodeInfo(m.getName(), m.getUid(), ip);
  }

  /**
   * A pod reduced to its name, to patch through: patching by name alone makes fabric8 GET the whole
   * pod first, one extra request per write.
   */
  public static Pod podRef(String namespace, String name) {
    return new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .endMetadata()
        .build();
  }

  public static PodInfo pod(Pod pod) {
    var m = pod.getMetadata();
    var spec = pod.getSpec();
    boolean hostNetwork = spec != null && Boolean.TRUE.equals(spec.getHostNetwork());
    String node = spec == null ? null : spec.getNodeName();
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return new PodInfo(
        m.getNamespace(),
        m.getName(),
        m.getUid(),
        m.getLabels(),
        m.getAnnotations(),
        hostNetwork,
        node,
        phase);
  }
}
