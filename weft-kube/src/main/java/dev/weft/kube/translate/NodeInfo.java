package dev.weft.kube.translate;

/**
 * What Weft reads of a Kubernetes node.
 *
 * @param internalIp the node's InternalIP address, or null when it reports none
 */
public record NodeInfo(String name, String uid, String internalIp) {}
