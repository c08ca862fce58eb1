package dev.weft.control;

import dev.weft.model.FqName;
import java.util.List;
import java.util.UUID;

/**
 * A virtual-machine interface as forwarding sees it: the network (VRF) it sits in, its addresses,
 * and the node whose vRouter holds it.
 *
 * @param namespace the Kubernetes namespace of the pod it belongs to, or "" for other interfaces
 * @param pod the pod's name, or "" for other interfaces
 * @param node the node's name, or null while the interface is not placed on a node
 * @param nodeAddress the node's vRouter address (the tunnel endpoint), or null when unknown
 */
public record Endpoint(
    UUID interfaceUuid,
    FqName interfaceName,
    FqName network,
    String macAddress,
    List<String> addresses,
    String namespace,
    String pod,
    String node,
    String nodeAddress) {
  public Endpoint {
    addresses = List.copyOf(addresses);
  }

  /** {@code namespace/pod} for pod interfaces, the interface's FQ name otherwise. */
  public String displayName() {
    return pod.isEmpty() ? interfaceName.toString() : namespace + "/" + pod;
  }

  public boolean placed() {
    return node != null;
  }
}
