package dev.weft.kube.translate;

import java.util.List;
import java.util.Map;

/**
 * What Weft reads of a Kubernetes Service.
 *
 * @param type {@code spec.type}: {@code ClusterIP} when not given
 * @param clusterIps {@code spec.clusterIPs} (or {@code spec.clusterIP} alone), primary first; empty
 *     until the API server allocates one, {@code [None]} for a headless service
 * @param ports the service ports, in spec order
 * @param annotations the service's annotations ({@code opencontrail.org/fip-pool})
 * @param loadBalancerIp {@code spec.loadBalancerIP}, or null
 * @param externalIps {@code spec.externalIPs}, in spec order
 * @param ingressIps the addresses of {@code status.loadBalancer.ingress}, as last written
 */
public record ServiceInfo(
    String namespace,
    String name,
    String uid,
    String type,
    List<String> clusterIps,
    List<Port> ports,
    Map<String, String> annotations,
    String loadBalancerIp,
    List<String> externalIps,
    List<String> ingressIps) {

  /**
   * One service port.
   *
   * @param name empty when the service has a single unnamed port
   * @param protocol {@code TCP}, {@code UDP} or {@code SCTP} as Kubernetes writes it
   */
  public record Port(String name, String protocol, int port, int nodePort) {
    public Port {
      name = name == null ? "" : name;
      protocol = protocol == null ? "TCP" : protocol;
    }

    /** A port without a node port. */
    public Port(String name, String protocol, int port) {
      this(name, protocol, port, 0);
    }
  }

  /** A service as far as its cluster IP goes: no annotations, external addresses or status. */
  public ServiceInfo(
      String namespace,
      String name,
      String uid,
      String type,
      List<String> clusterIps,
      List<Port> ports) {
    this(namespace, name, uid, type, clusterIps, ports, Map.of(), null, List.of(), List.of());
  }

  public ServiceInfo {
    type = type == null || type.isEmpty() ? "ClusterIP" : type;
    clusterIps =
        clusterIps == null
            ? List.of()
            : clusterIps.stream().filter(ip -> ip != null && !ip.isEmpty()).toList();
    ports = ports == null ? List.of() : List.copyOf(ports);
    annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    loadBalancerIp = loadBalancerIp == null || loadBalancerIp.isBlank() ? null : loadBalancerIp;
    externalIps =
        externalIps == null
            ? List.of()
            : externalIps.stream().filter(ip -> ip != null && !ip.isBlank()).toList();
    ingressIps =
        ingressIps == null
            ? List.of()
            : ingressIps.stream().filter(ip -> ip != null && !ip.isBlank()).toList();
  }

  /** {@code type: LoadBalancer}: it wants an address outside the cluster, a floating IP. */
  public boolean isLoadBalancer() {
    return type.equals("LoadBalancer");
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
