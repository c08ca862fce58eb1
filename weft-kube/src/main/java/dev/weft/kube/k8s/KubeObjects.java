package dev.weft.kube.k8s;

import dev.weft.kube.translate.EndpointSliceInfo;
import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.NetworkPolicyInfo;
import dev.weft.kube.translate.NodeInfo;
import dev.weft.kube.translate.PodInfo;
import dev.weft.kube.translate.ServiceInfo;
import dev.weft.model.ContainerPort;
import dev.weft.model.Protocol;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicySpec;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
        phase,
        spec == null ? List.of() : containerPorts(spec.getContainers()));
  }

  /**
   * The ports the containers declare, in order, without repeats. Init containers are not included:
   * named ports of policies resolve against {@code spec.containers}. An entry the API server would
   * have refused (no port or one outside 1-65535, a protocol other than TCP, UDP or SCTP) can match
   * no policy port, so leaving it out changes nothing.
   */
  static List<ContainerPort> containerPorts(List<Container> containers) {
    if (containers == null) {
      return List.of();
    }
    Set<ContainerPort> out = new LinkedHashSet<>();
    for (Container c : containers) {
      if (c == null || c.getPorts() == null) {
        continue;
      }
      for (io.fabric8.kubernetes.api.model.ContainerPort p : c.getPorts()) {
        Integer number = p == null ? null : p.getContainerPort();
        if (number == null || number < 1 || number > 65535) {
          continue;
        }
        // A container port's protocol is a plain string that the API server defaults to TCP when
        // empty (unlike a policy port's, which is defaulted only when absent).
        Protocol protocol =
            switch (p.getProtocol() == null ? "" : p.getProtocol()) {
              case "", "TCP" -> Protocol.TCP;
              case "UDP" -> Protocol.UDP;
              case "SCTP" -> Protocol.SCTP;
              default -> null;
            };
        if (protocol != null) {
          out.add(new ContainerPort(p.getName(), protocol, number));
        }
      }
    }
    return List.copyOf(out);
  }

  public static NetworkPolicyInfo networkPolicy(NetworkPolicy policy) {
    var m = policy.getMetadata();
    NetworkPolicySpec spec = policy.getSpec();
    if (spec == null) {
      // No spec at all decodes in Kubernetes to the zero spec: every pod, Ingress, no rules.
      return new NetworkPolicyInfo(
          m.getNamespace(), m.getName(), m.getUid(), null, null, null, null);
    }
    List<NetworkPolicyInfo.Rule> ingress = new ArrayList<>();
    if (spec.getIngress() != null) {
      for (NetworkPolicyIngressRule r : spec.getIngress()) {
        ingress.add(r == null ? null : rule(r.getFrom(), r.getPorts()));
      }
    }
    List<NetworkPolicyInfo.Rule> egress = new ArrayList<>();
    if (spec.getEgress() != null) {
      for (NetworkPolicyEgressRule r : spec.getEgress()) {
        egress.add(r == null ? null : rule(r.getTo(), r.getPorts()));
      }
    }
    return new NetworkPolicyInfo(
        m.getNamespace(),
        m.getName(),
        m.getUid(),
        selector(spec.getPodSelector()),
        spec.getPolicyTypes(),
        ingress,
        egress);
  }

  private static NetworkPolicyInfo.Rule rule(
      List<NetworkPolicyPeer> peers, List<NetworkPolicyPort> ports) {
    List<NetworkPolicyInfo.Peer> outPeers = new ArrayList<>();
    if (peers != null) {
      for (NetworkPolicyPeer p : peers) {
        outPeers.add(
            p == null
                ? null
                : new NetworkPolicyInfo.Peer(
                    selector(p.getPodSelector()),
                    selector(p.getNamespaceSelector()),
                    p.getIpBlock() == null
                        ? null
                        : new NetworkPolicyInfo.IpBlock(
                            p.getIpBlock().getCidr(), p.getIpBlock().getExcept())));
      }
    }
    List<NetworkPolicyInfo.Port> outPorts = new ArrayList<>();
    if (ports != null) {
      for (NetworkPolicyPort p : ports) {
        if (p == null) {
          outPorts.add(null);
          continue;
        }
        IntOrString port = p.getPort();
        Integer number = port == null ? null : port.getIntVal();
        String name = port == null || number != null ? null : port.getStrVal();
        outPorts.add(new NetworkPolicyInfo.Port(p.getProtocol(), number, name, p.getEndPort()));
      }
    }
    return new NetworkPolicyInfo.Rule(outPeers, outPorts);
  }

  private static NetworkPolicyInfo.Selector selector(LabelSelector s) {
    if (s == null) {
      return null;
    }
    List<NetworkPolicyInfo.Expression> expressions = new ArrayList<>();
    if (s.getMatchExpressions() != null) {
      for (LabelSelectorRequirement r : s.getMatchExpressions()) {
        expressions.add(
            r == null
                ? null
                : new NetworkPolicyInfo.Expression(r.getKey(), r.getOperator(), r.getValues()));
      }
    }
    return new NetworkPolicyInfo.Selector(s.getMatchLabels(), expressions);
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
