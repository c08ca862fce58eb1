package dev.weft.kube.translate;

import dev.weft.model.ContainerPort;
import java.util.List;
import java.util.Map;

/**
 * What Weft reads of a Kubernetes pod.
 *
 * @param labels the pod's labels, which become its interface's tags (policies select pods by them)
 * @param phase {@code status.phase}, empty when not yet reported
 * @param ports the ports its containers declare ({@code spec.containers[*].ports}; init containers
 *     excluded), in spec order without repeats: what named ports of policies resolve to
 */
public record PodInfo(
    String namespace,
    String name,
    String uid,
    Map<String, String> labels,
    Map<String, String> annotations,
    boolean hostNetwork,
    String nodeName,
    String phase,
    List<ContainerPort> ports) {
  public PodInfo {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    nodeName = nodeName == null ? "" : nodeName;
    phase = phase == null ? "" : phase;
    ports = ports == null ? List.of() : List.copyOf(ports);
  }

  /** A pod that has finished for good no longer needs its address (Kubernetes reuses it). */
  public boolean terminated() {
    return phase.equals("Succeeded") || phase.equals("Failed");
  }

  public String key() {
    return "Pod/" + namespace + "/" + name;
  }
}
