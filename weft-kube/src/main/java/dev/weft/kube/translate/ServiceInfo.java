package dev.weft.kube.translate;

import java.util.List;

/**
 * What Weft reads of a Kubernetes Service.
 *
 * @param type {@code spec.type}: {@code ClusterIP} when not given
 * @param clusterIps {@code spec.clusterIPs} (or {@code spec.clusterIP} alone), primary first; empty
 *     until the API server allocates one, {@code [None]} for a headless service
 * @param ports the service ports, in spec order
 */
public record ServiceInfo(
    String namespace,
    String name,
    String uid,
    String type,
    List<String> clusterIps,
    List<Port> ports) {

  /**
   * One service port.
   *
   * @param name empty when the service has a single unnamed port
   * @param protocol {@code TCP}, {@code UDP} or {@code SCTP} as Kubernetes writes it
   */
  public record Port(String name, String protocol, int port) {
    public Port {
      name = name == null ? "" : name;
      protocol = protocol == null ? "TCP" : protocol;
    }
  }

  public ServiceInfo {
    type = type == null || type.isEmpty() ? "ClusterIP" : type;
    clusterIps =
        clusterIps == null
            ? List.of()
            : clusterIps.stream().filter(ip -> ip != null && !ip.isEmpty()).toList();
    ports = ports == null ? List.of() : List.copyOf(ports);
  }

  public String key() {
    return ServiceObjects.key(namespace, name);
  }

  /**
   * Whether the service has a virtual IP Weft load-balances: not headless ({@code None}), not
   * {@code ExternalName} (a DNS alias), and allocated.
   */
  public boolean hasVip() {
    return !type.equals("ExternalName")
        && !clusterIps.isEmpty()
        && !clusterIps.get(0).equalsIgnoreCase("None");
  }
}
