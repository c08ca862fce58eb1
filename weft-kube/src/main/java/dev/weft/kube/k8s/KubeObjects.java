package dev.weft.kube.k8s;

import dev.weft.kube.translate.EndpointSliceInfo;
import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.NodeInfo;
import dev.weft.kube.translate.PodInfo;
import dev.weft.kube.translate.ServiceInfo;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Translation of fabric8 objects into Weft's records. */
public final class KubeObjects {
  private KubeObjects() {}

  public static NamespaceInfo namespace(Namespace ns) {
    var m = ns.getMetadata();
    return new NamespaceInfo(m.getName(), m.getUid(), m.getLabels(), m.getAnnotations());
  }

  public static NodeInfo node(Node node) {
    var m = node.getMetadata();
    String ip = null;
    if (node.getStatus() != null && node.getStatus().getAddresses() != null) {
      ip =
          node.getStatus().getAddresses().stream()
              .filter(a -> "InternalIP".equals(a.getType()))
              .map(a -> a.getAddress())
              .findFirst()
              .orElse(null);
    }
    return new NodeInfo(m.getName(), m.getUid(), ip);
  }

  /**
   * A pod reduced to its name, to patch through: patching by name alone makes fabric8 GET the whole
   * pod first, one extra request per write.
   */
  public static Pod podRef(String namespace, String name) {
    return new io.fabric8.kubernetes.api.model.PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .endMetadata()
        .build();
  }

  public static PodInfo pod(Pod pod) {
    var m = pod.getMetadata();
    var spec = pod.getSpec();
    boolean hostNetwork = spec != null && Boolean.TRUE.equals(spec.getHostNetwork());
    String node = spec == null ? null : spec.getNodeName();
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return new PodInfo(
        m.getNamespace(),
        m.getName(),
        m.getUid(),
        m.getLabels(),
        m.getAnnotations(),
        hostNetwork,
        node,
        phase);
  }

  public static ServiceInfo service(Service service) {
    var m = service.getMetadata();
    var spec = service.getSpec();
    if (spec == null) {
      return new ServiceInfo(
          m.getNamespace(),
          m.getName(),
          m.getUid(),
          null,
          null,
          null,
          m.getAnnotations(),
          null,
          null,
          null);
    }
    List<String> clusterIps = spec.getClusterIPs();
    if (clusterIps == null || clusterIps.isEmpty()) {
      clusterIps = spec.getClusterIP() == null ? List.of() : List.of(spec.getClusterIP());
    }
    List<ServiceInfo.Port> ports = new ArrayList<>();
    if (spec.getPorts() != null) {
      for (var p : spec.getPorts()) {
        if (p.getPort() != null) {
          ports.add(
              new ServiceInfo.Port(
                  p.getName(),
                  p.getProtocol(),
                  p.getPort(),
                  p.getNodePort() == null ? 0 : p.getNodePort()));
        }
      }
    }
    List<String> ingress = new ArrayList<>();
    var status = service.getStatus();
    if (status != null
        && status.getLoadBalancer() != null
        && status.getLoadBalancer().getIngress() != null) {
      for (var i : status.getLoadBalancer().getIngress()) {
        if (i.getIp() != null) {
          ingress.add(i.getIp());
        }
      }
    }
    return new ServiceInfo(
        m.getNamespace(),
        m.getName(),
        m.getUid(),
        spec.getType(),
        clusterIps,
        ports,
        m.getAnnotations(),
        spec.getLoadBalancerIP(),
        spec.getExternalIPs(),
        ingress);
  }

  /** The service an EndpointSlice belongs to (its {@code kubernetes.io/service-name}), or null. */
  public static String serviceOf(EndpointSlice slice) {
    Map<String, String> labels = slice.getMetadata().getLabels();
    String name = labels == null ? null : labels.get(EndpointSliceInfo.SERVICE_NAME);
    return name == null || name.isEmpty() ? null : name;
  }

  public static EndpointSliceInfo endpointSlice(EndpointSlice slice) {
    var m = slice.getMetadata();
    List<EndpointSliceInfo.Port> ports = new ArrayList<>();
    if (slice.getPorts() != null) {
      for (var p : slice.getPorts()) {
        ports.add(new EndpointSliceInfo.Port(p.getName(), p.getProtocol(), p.getPort()));
      }
    }
    List<EndpointSliceInfo.Endpoint> endpoints = new ArrayList<>();
    if (slice.getEndpoints() != null) {
      for (var e : slice.getEndpoints()) {
        // Kubernetes: a missing ready condition is an unknown state, to be read as ready.
        boolean ready =
            e.getConditions() == null || !Boolean.FALSE.equals(e.getConditions().getReady());
        ObjectReference target = e.getTargetRef();
        String pod =
            target != null && "Pod".equals(target.getKind()) && target.getName() != null
                ? (target.getNamespace() == null ? m.getNamespace() : target.getNamespace())
                    + "/"
                    + target.getName()
                : "";
        List<String> addresses =
            e.getAddresses() == null
                ? List.of()
                : e.getAddresses().stream().filter(a -> a != null).toList();
        endpoints.add(new EndpointSliceInfo.Endpoint(addresses, ready, pod));
      }
    }
    return new EndpointSliceInfo(
        m.getNamespace(), m.getName(), serviceOf(slice), slice.getAddressType(), ports, endpoints);
  }
}
