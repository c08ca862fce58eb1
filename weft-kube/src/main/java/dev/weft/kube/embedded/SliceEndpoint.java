package dev.weft.kube.embedded;

import java.util.List;

/**
 * One endpoint of an EndpointSlice, as Weft's stand-ins compare them.
 *
 * @param addresses the endpoint's addresses, all of the slice's address type
 * @param ready {@code conditions.ready}, or null when not given
 * @param serving {@code conditions.serving}, or null when not given
 * @param terminating {@code conditions.terminating}, or null when not given
 * @param nodeName or null
 * @param hostname or null
 * @param target {@code targetRef}, or null
 */
record SliceEndpoint(
    List<String> addresses,
    Boolean ready,
    Boolean serving,
    Boolean terminating,
    String nodeName,
    String hostname,
    Target target) {

  /**
   * A {@code targetRef}, usually to a pod.
   *
   * @param kind {@code Pod} for endpoints of selected pods
   * @param namespace or null
   * @param name or null
   * @param uid or null
   */
  record Target(String kind, String namespace, String name, String uid) {}

  SliceEndpoint {
    addresses = List.copyOf(addresses);
  }

  /** What makes an endpoint the same one after a change of its conditions: addresses, target. */
  String identity() {
    return target == null
        ? String.join(",", addresses)
        : String.join(",", addresses) + "@" + target.namespace() + "/" + target.name();
  }
}
