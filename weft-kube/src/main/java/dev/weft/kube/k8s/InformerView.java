package dev.weft.kube.k8s;

import dev.weft.kube.reconcile.KubeView;
import dev.weft.kube.translate.EndpointSliceInfo;
import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.NetworkPolicyInfo;
import dev.weft.kube.translate.NodeInfo;
import dev.weft.kube.translate.PodInfo;
import dev.weft.kube.translate.ServiceInfo;
import dev.weft.model.ContainerPort;
import dev.weft.model.Protocol;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** {@link KubeView} over fabric8 informer caches. */
public final class InformerView implements KubeView {
  private final SharedIndexInformer<Namespace> namespaces;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Node> nodes;
  private final SharedIndexInformer<Service> services;
  private final SharedIndexInformer<EndpointSlice> slices;
  private final SharedIndexInformer<NetworkPolicy> policies;

  /** Index of EndpointSlices by the service they belong to, {@code namespace/service}. */
  private static final String BY_SERVICE = "weft-service";

  /** Index of pods by the named container ports they declare, {@code PROTOCOL/name}. */
  private static final String BY_PORT = "weft-port";

  /** Index of pods by the named container ports they declare, {@code namespace/PROTOCOL/name}. */
  private static final String BY_NAMESPACED_PORT = "weft-namespaced-port";

  /**
   * Call before the informers start: the EndpointSlice informer gains an index by service, the pod
   * informer indexes by the named ports pods declare (for the named-port check of policies).
   */
  public InformerView(
      SharedIndexInformer<Namespace> namespaces,
      SharedIndexInformer<Pod> pods,
      SharedIndexInformer<Node> nodes,
      SharedIndexInformer<Service> services,
      SharedIndexInformer<EndpointSlice> slices,
      SharedIndexInformer<NetworkPolicy> policies) {
    this.namespaces = namespaces;
    this.pods = pods;
    this.nodes = nodes;
    this.services = services;
    this.slices = slices;
    this.policies = policies;
    pods.addIndexers(
        Map.of(
            BY_PORT,
            pod -> namedPorts(pod).stream().map(InformerView::portKey).distinct().toList(),
            BY_NAMESPACED_PORT,
            pod ->
                namedPorts(pod).stream()
                    .map(p -> pod.getMetadata().getNamespace() + "/" + portKey(p))
                    .distinct()
                    .toList()));
    slices.addIndexers(
        Map.of(
            BY_SERVICE,
            slice -> {
              String service = KubeObjects.serviceOf(slice);
              return service == null
                  ? List.of()
                  : List.of(slice.getMetadata().getNamespace() + "/" + service);
            }));
  }

  @Override
  public Optional<ServiceInfo> service(String namespace, String name) {
    return Optional.ofNullable(services.getStore().getByKey(namespace + "/" + name))
        .map(KubeObjects::service);
  }

  @Override
  public List<ServiceInfo> servicesIn(String namespace) {
    return services.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace).stream()
        .map(KubeObjects::service)
        .toList();
  }

  @Override
  public List<ServiceInfo> services() {
    return services.getStore().list().stream().map(KubeObjects::service).toList();
  }

  @Override
  public List<EndpointSliceInfo> endpointSlices(String namespace, String service) {
    return slices.getIndexer().byIndex(BY_SERVICE, namespace + "/" + service).stream()
        .map(KubeObjects::endpointSlice)
        .toList();
  }

  @Override
  public Optional<NodeInfo> node(String name) {
    return Optional.ofNullable(nodes.getStore().getByKey(name)).map(KubeObjects::node);
  }

  @Override
  public List<NodeInfo> nodes() {
    return nodes.getStore().list().stream().map(KubeObjects::node).toList();
  }

  @Override
  public Optional<NamespaceInfo> namespace(String name) {
    return Optional.ofNullable(namespaces.getStore().getByKey(name)).map(KubeObjects::namespace);
  }

  @Override
  public Optional<PodInfo> pod(String namespace, String name) {
    return Optional.ofNullable(pods.getStore().getByKey(namespace + "/" + name))
        .map(KubeObjects::pod);
  }

  @Override
  public List<PodInfo> podsIn(String namespace) {
    return pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace).stream()
        .map(KubeObjects::pod)
        .toList();
  }

  @Override
  public List<NamespaceInfo> namespaces() {
    return namespaces.getStore().list().stream().map(KubeObjects::namespace).toList();
  }

  @Override
  public List<PodInfo> pods() {
    return pods.getStore().list().stream().map(KubeObjects::pod).toList();
  }

  @Override
  public Optional<NetworkPolicyInfo> networkPolicy(String namespace, String name) {
    return Optional.ofNullable(policies.getStore().getByKey(namespace + "/" + name))
        .map(KubeObjects::networkPolicy);
  }

  @Override
  public List<NetworkPolicyInfo> networkPoliciesIn(String namespace) {
    return policies.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace).stream()
        .map(KubeObjects::networkPolicy)
        .toList();
  }

  @Override
  public List<NetworkPolicyInfo> networkPolicies() {
    return policies.getStore().list().stream().map(KubeObjects::networkPolicy).toList();
  }

  @Override
  public boolean declaresPort(String namespace, String name, Protocol protocol) {
    return !pods.getIndexer()
        .byIndex(BY_NAMESPACED_PORT, namespace + "/" + portKey(protocol, name))
        .isEmpty();
  }

  @Override
  public Set<String> namespacesDeclaringPort(String name, Protocol protocol) {
    Set<String> out = new LinkedHashSet<>();
    for (Pod p : pods.getIndexer().byIndex(BY_PORT, portKey(protocol, name))) {
      out.add(p.getMetadata().getNamespace());
    }
    return out;
  }

  private static List<ContainerPort> namedPorts(Pod pod) {
    if (pod.getSpec() == null) {
      return List.of();
    }
    return KubeObjects.containerPorts(pod.getSpec().getContainers()).stream()
        .filter(p -> !p.name().isEmpty())
        .toList();
  }

  private static String portKey(ContainerPort p) {
    return portKey(p.protocol(), p.name());
  }

  private static String portKey(Protocol protocol, String name) {
    return protocol.name() + "/" + name;
  }
}
