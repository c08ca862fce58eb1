package dev.weft.kube.translate;

import java.util.List;

/**
 * What Weft reads of a {@code discovery.k8s.io/v1} EndpointSlice.
 *
 * @param service the {@code kubernetes.io/service-name} label: the service the slice belongs to
 * @param addressType {@code IPv4}, {@code IPv6} or {@code FQDN}
 * @param ports the resolved target ports, by the name of the service port they serve
 */
public record EndpointSliceInfo(
    String namespace,
    String name,
    String service,
    String addressType,
    List<Port> ports,
    List<Endpoint> endpoints) {

  /** The {@code kubernetes.io/service-name} label. */
  public static final String SERVICE_NAME = "kubernetes.io/service-name";

  /**
   * A port of the slice.
   *
   * @param name the name of the service port it serves (empty for an unnamed one)
   * @param port the target port; null means "all ports", which Weft cannot load-balance
   */
  public record Port(String name, String protocol, Integer port) {
    public Port {
      name = name == null ? "" : name;
      protocol = protocol == null ? "TCP" : protocol;
    }
  }

  /**
   * One endpoint.
   *
   * @param addresses as written; fungible, so only the first is used (as kube-proxy does)
   * @param ready {@code conditions.ready}, true when not given (Kubernetes says to read unknown as
   *     ready)
   * @param pod {@code namespace/name} of the pod the endpoint targets, or empty
   */
  public record Endpoint(List<String> addresses, boolean ready, String pod) {
    public Endpoint {
      addresses = addresses == null ? List.of() : List.copyOf(addresses);
      pod = pod == null ? "" : pod;
    }
  }

  public EndpointSliceInfo {
    service = service == null ? "" : service;
    addressType = addressType == null ? "" : addressType;
    ports = ports == null ? List.of() : List.copyOf(ports);
    endpoints = endpoints == null ? List.of() : List.copyOf(endpoints);
  }
}
