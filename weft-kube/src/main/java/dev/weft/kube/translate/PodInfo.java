package dev.weft.kube.translate;

import java.util.Map;

/**
 * What Weft reads of a Kubernetes pod.
 *
 * @param phase {@code status.phase}, empty when not yet reported
 */
public record PodInfo(
    String namespace,
    String name,
    String uid,
    Map<String, String> labels,
    Map<String, String> annotations,
    boolean hostNetwork,
    String nodeName,
    String phase) {
  public PodInfo {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    nodeName = nodeName == null ? "" : nodeName;
    phase = phase == null ? "" : phase;
  }

  /** A pod that has finished for good no longer needs its address (Kubernetes reuses it). */
  public boolean terminated() {
    return phase.equals("Succeeded") || phase.equals("Failed");
  }

  public String key() {
    return "Pod/" + namespace + "/" + name;
  }
}
