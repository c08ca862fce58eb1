package dev.weft.kube.translate;

import java.util.Map;

/** What Weft reads of a Kubernetes namespace. */
public record NamespaceInfo(
    String name, String uid, Map<String, String> labels, Map<String, String> annotations) {
  public NamespaceInfo {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
  }
}
