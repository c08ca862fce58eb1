package dev.weft.kube.translate;

import dev.weft.kube.ClusterConfig;
import dev.weft.model.ConfigObject;
import dev.weft.model.IpPrefix;
import dev.weft.model.Names;
import dev.weft.model.Owner;
import dev.weft.model.VirtualRouter;
import java.util.List;

/** Objects for one node: its vRouter, with the underlay address its pods' tunnels end on. */
public final class NodeObjects {
  private NodeObjects() {}

  public static String key(String node) {
    return "Node/" + node;
  }

  /**
   * @throws InputException when the node's InternalIP is not an IP address
   */
  public static List<ConfigObject> desired(ClusterConfig config, NodeInfo node) {
    String address = null;
    if (node.internalIp() != null && !node.internalIp().isBlank()) {
      try {
        address = IpPrefix.canonicalAddress(node.internalIp());
      } catch (IllegalArgumentException e) {
        throw new InputException(
            "InvalidAddress",
            "node \""
                + node.name()
                + "\": InternalIP \""
                + node.internalIp()
                + "\" is not an IP address");
      }
    }
    return List.of(
        new VirtualRouter(
            routerUuid(node.name()),
            Names.virtualRouter(node.name()),
            null,
            Owner.node(config.name(), node.name(), node.uid()).annotations(),
            address));
  }

  /**
   * A node's vRouter UUID follows from its name, so a pod placed on the node can reference the
   * router before (or without) the node object being read.
   */
  public static java.util.UUID routerUuid(String node) {
    return Uuids.of("virtual-router", Names.virtualRouter(node).toString());
  }
}
