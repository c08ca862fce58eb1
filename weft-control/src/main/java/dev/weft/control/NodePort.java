package dev.weft.control;

import java.util.List;
import java.util.Objects;

/**
 * A node port: a packet to any node's own address at this protocol and port is, on that node's
 * vRouter, a packet to one listener of a service: a backend is chosen by the hash of the 5-tuple
 * and the packet translated to it, as for the service's VIP (kube-proxy's NodePort, done by the
 * vRouter).
 *
 * @param nodePort the protocol and port every node accepts
 * @param service the service behind it
 * @param servicePort the listener of {@code service} it leads to
 */
public record NodePort(
    NextHop.ServicePort nodePort, NextHop.Service service, NextHop.ServicePort servicePort) {
  public NodePort {
    Objects.requireNonNull(nodePort, "nodePort");
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(servicePort, "servicePort");
  }

  /** The ready backends of the listener, in the service's stable order (empty: none ready). */
  public List<NextHop.Interface> backends() {
    List<NextHop.Interface> b = service.backends(servicePort.protocol(), servicePort.port());
    return b == null ? List.of() : b;
  }
}
