package dev.weft.kube.embedded;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The endpoints a Service should have, as the endpoint-slice controller computes them from the pods
 * its selector picks, and as the endpoint-slice mirroring controller copies them from a manually
 * managed Endpoints object. Pure functions of their inputs.
 */
final class DesiredSlices {
  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";
  static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
  static final String CONTROLLER = "endpointslice-controller.k8s.io";
  static final String MIRRORING_CONTROLLER = "endpointslicemirroring-controller.k8s.io";
  static final String HEADLESS_LABEL = "service.kubernetes.io/headless";
  static final String SKIP_MIRROR_LABEL = "endpointslice.kubernetes.io/skip-mirror";

  /** The leader-election lock some components keep in an Endpoints object: never mirrored. */
  static final String LEADER_ANNOTATION = "control-plane.alpha.kubernetes.io/leader";

  /**
   * The most endpoints in one slice (the controller's default {@code --max-endpoints-per-slice}).
   */
  static final int MAX_ENDPOINTS = 100;

  private static final Comparator<Pod> BY_NAME =
      Comparator.comparing(p -> p.getMetadata().getName());

  private DesiredSlices() {}

  /** Whether a non-empty equality selector picks an object with these labels. */
  static boolean selects(Map<String, String> selector, Map<String, String> labels) {
    if (selector == null || selector.isEmpty()) {
      return false;
    }
    if (labels == null) {
      return false;
    }
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!Objects.equals(labels.get(e.getKey()), e.getValue())) {
        return false;
      }
    }
    return true;
  }

  /**
   * The address types a service has slices for: its IP families; without them the family of its
   * cluster IP; for a headless service without families, both.
   */
  static List<String> addressTypes(ServiceSpec spec) {
    if (spec.getIpFamilies() != null && !spec.getIpFamilies().isEmpty()) {
      return spec.getIpFamilies().stream()
          .filter(f -> ServiceAddresses.family(f) != null)
          .distinct()
          .toList();
    }
    String ip = spec.getClusterIP();
    if (ip != null && !ip.isEmpty() && !ServiceAddresses.NONE.equals(ip)) {
      return List.of(ServiceAddresses.wire(ClusterIpAllocator.family(ip)));
    }
    return List.of("IPv4", "IPv6");
  }

  /**
   * The endpoints of a service with a selector, by shape: one endpoint per pod of its namespace the
   * selector picks that has an address of the shape's type and is not finished, with the service's
   * ports resolved against that pod.
   *
   * @param pods candidates; those in other namespaces or not selected are skipped
   */
  static Map<SliceShape, List<SliceEndpoint>> forService(Service service, Collection<Pod> pods) {
    ServiceSpec spec = service.getSpec();
    String namespace = service.getMetadata().getNamespace();
    List<Pod> sorted = new ArrayList<>(pods);
    sorted.sort(BY_NAME);
    Map<SliceShape, List<SliceEndpoint>> out = new LinkedHashMap<>();
    for (String type : addressTypes(spec)) {
      for (Pod pod : sorted) {
        if (!namespace.equals(pod.getMetadata().getNamespace())
            || !selects(spec.getSelector(), pod.getMetadata().getLabels())
            || !eligible(pod)) {
          continue;
        }
        List<String> addresses =
            podIps(pod).stream().filter(ip -> type.equals(addressType(ip))).toList();
        if (addresses.isEmpty()) {
          continue;
        }
        SliceShape shape = new SliceShape(type, ports(spec, pod));
        out.computeIfAbsent(shape, s -> new ArrayList<>()).add(endpoint(service, pod, addresses));
      }
    }
    return out;
  }

  /**
   * Labels of the slices of a service: its own (but the controllers' reserved ones), the service
   * name, the managing controller, and the headless mark.
   */
  static Map<String, String> labels(Service service) {
    Map<String, String> labels = copyLabels(service.getMetadata().getLabels());
    labels.put(SERVICE_NAME_LABEL, service.getMetadata().getName());
    labels.put(MANAGED_BY_LABEL, CONTROLLER);
    if (ServiceAddresses.headless(service.getSpec())) {
      labels.put(HEADLESS_LABEL, "");
    }
    return labels;
  }

  /** Whether the mirroring controller copies {@code endpoints} into slices. */
  static boolean mirrors(Endpoints endpoints) {
    Map<String, String> labels = endpoints.getMetadata().getLabels();
    Map<String, String> annotations = endpoints.getMetadata().getAnnotations();
    return (labels == null || !"true".equals(labels.get(SKIP_MIRROR_LABEL)))
        && (annotations == null || !annotations.containsKey(LEADER_ANNOTATION));
  }

  /**
   * The endpoints of a manually managed Endpoints object, by shape: each subset's addresses (ready)
   * and not-ready addresses (not ready) with the subset's ports.
   */
  static Map<SliceShape, List<SliceEndpoint>> mirrored(Endpoints endpoints) {
    Map<SliceShape, List<SliceEndpoint>> out = new LinkedHashMap<>();
    if (endpoints.getSubsets() == null) {
      return out;
    }
    for (EndpointSubset subset : endpoints.getSubsets()) {
      List<SlicePort> ports = new ArrayList<>();
      if (subset.getPorts() != null) {
        for (EndpointPort p : subset.getPorts()) {
          if (p.getPort() != null) {
            ports.add(new SlicePort(p.getName(), p.getProtocol(), p.getPort(), p.getAppProtocol()));
          }
        }
      }
      mirror(out, subset.getAddresses(), true, ports);
      mirror(out, subset.getNotReadyAddresses(), false, ports);
    }
    return out;
  }

  /** Labels of mirrored slices: the Endpoints' own, the service name and the controller. */
  static Map<String, String> mirroredLabels(Endpoints endpoints) {
    Map<String, String> labels = copyLabels(endpoints.getMetadata().getLabels());
    labels.put(SERVICE_NAME_LABEL, endpoints.getMetadata().getName());
    labels.put(MANAGED_BY_LABEL, MIRRORING_CONTROLLER);
    return labels;
  }

  private static void mirror(
      Map<SliceShape, List<SliceEndpoint>> out,
      List<EndpointAddress> addresses,
      boolean ready,
      List<SlicePort> ports) {
    if (addresses == null) {
      return;
    }
    for (EndpointAddress a : addresses) {
      String ip = ClusterIpAllocator.canonical(a.getIp());
      if (ip == null) {
        continue; // the mirroring controller skips what is not an IP address
      }
      ObjectReference ref = a.getTargetRef();
      SliceEndpoint.Target target =
          ref == null
              ? null
              : new SliceEndpoint.Target(
                  ref.getKind(), ref.getNamespace(), ref.getName(), ref.getUid());
      SliceEndpoint endpoint =
          new SliceEndpoint(
              List.of(ip),
              ready,
              null,
              null,
              a.getNodeName(),
              emptyToNull(a.getHostname()),
              target);
      SliceShape shape = new SliceShape(addressType(ip), ports);
      List<SliceEndpoint> list = out.computeIfAbsent(shape, s -> new ArrayList<>());
      if (list.stream().noneMatch(e -> e.identity().equals(endpoint.identity()))) {
        list.add(endpoint);
      }
    }
  }

  private static Map<String, String> copyLabels(Map<String, String> labels) {
    Map<String, String> out = new TreeMap<>();
    if (labels != null) {
      labels.forEach(
          (k, v) -> {
            if (v != null
                && !k.equals(SERVICE_NAME_LABEL)
                && !k.equals(MANAGED_BY_LABEL)
                && !k.equals(HEADLESS_LABEL)) {
              out.put(k, v);
            }
          });
    }
    return out;
  }

  /** In endpoints: has an address and has not finished (terminating pods are included). */
  static boolean eligible(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return !podIps(pod).isEmpty() && !"Succeeded".equals(phase) && !"Failed".equals(phase);
  }

  /** The pod's IPs from its status. */
  static List<String> podIps(Pod pod) {
    var status = pod.getStatus();
    if (status == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    if (status.getPodIPs() != null) {
      status.getPodIPs().forEach(ip -> addIp(out, ip.getIp()));
    }
    if (out.isEmpty()) {
      addIp(out, status.getPodIP());
    }
    return out;
  }

  private static void addIp(List<String> out, String ip) {
    String canonical = ip == null || ip.isEmpty() ? null : ClusterIpAllocator.canonical(ip);
    if (canonical != null && !out.contains(canonical)) {
      out.add(canonical);
    }
  }

  /** Whether the pod's {@code Ready} condition is {@code True}. */
  static boolean ready(Pod pod) {
    var status = pod.getStatus();
    if (status == null || status.getConditions() == null) {
      return false;
    }
    for (PodCondition c : status.getConditions()) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return false;
  }

  static String addressType(String ip) {
    return ServiceAddresses.wire(ClusterIpAllocator.family(ip));
  }

  private static SliceEndpoint endpoint(Service service, Pod pod, List<String> addresses) {
    boolean serving = ready(pod);
    boolean terminating = pod.getMetadata().getDeletionTimestamp() != null;
    // As upstream: never ready while terminating, unless the service publishes unready pods.
    boolean ready =
        Boolean.TRUE.equals(service.getSpec().getPublishNotReadyAddresses())
            || (serving && !terminating);
    var spec = pod.getSpec();
    String node = spec == null ? null : emptyToNull(spec.getNodeName());
    String hostname = null;
    if (spec != null
        && spec.getHostname() != null
        && !spec.getHostname().isEmpty()
        && service.getMetadata().getName().equals(spec.getSubdomain())) {
      hostname = spec.getHostname();
    }
    var m = pod.getMetadata();
    return new SliceEndpoint(
        addresses,
        ready,
        serving,
        terminating,
        node,
        hostname,
        new SliceEndpoint.Target("Pod", m.getNamespace(), m.getName(), m.getUid()));
  }

  /**
   * The service's ports for one pod: each with its target port resolved; a port whose named target
   * the pod does not declare is left out (the pod gets no traffic on it).
   */
  static List<SlicePort> ports(ServiceSpec spec, Pod pod) {
    List<SlicePort> out = new ArrayList<>();
    if (spec.getPorts() == null) {
      return out;
    }
    for (ServicePort sp : spec.getPorts()) {
      Integer port = targetPort(sp, pod);
      if (port != null) {
        out.add(new SlicePort(sp.getName(), sp.getProtocol(), port, sp.getAppProtocol()));
      }
    }
    return out;
  }

  /**
   * The port a service port sends to on {@code pod}: a numeric target port as is (the port itself
   * when there is none), a named one looked up among the pod's container ports of the same name and
   * protocol; null when the pod declares no such port.
   */
  static Integer targetPort(ServicePort sp, Pod pod) {
    IntOrString target = sp.getTargetPort();
    if (target == null || (target.getStrVal() == null && target.getIntVal() == null)) {
      return sp.getPort();
    }
    if (target.getIntVal() != null) {
      return target.getIntVal() == 0 ? sp.getPort() : target.getIntVal();
    }
    String name = target.getStrVal();
    String protocol = sp.getProtocol() == null ? "TCP" : sp.getProtocol();
    if (pod.getSpec() == null || pod.getSpec().getContainers() == null) {
      return null;
    }
    for (var container : pod.getSpec().getContainers()) {
      if (container.getPorts() == null) {
        continue;
      }
      for (ContainerPort cp : container.getPorts()) {
        String cpProtocol = cp.getProtocol() == null ? "TCP" : cp.getProtocol();
        if (name.equals(cp.getName()) && protocol.equals(cpProtocol)) {
          return cp.getContainerPort();
        }
      }
    }
    return null;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }
}
