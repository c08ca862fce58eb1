package dev.weft.kube.k8s;

import dev.weft.kube.reconcile.KubeView;
import dev.weft.kube.translate.EndpointSliceInfo;
import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.NodeInfo;
import dev.weft.kube.translate.PodInfo;
import dev.weft.kube.translate.ServiceInfo;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** {@link KubeView} over fabric8 informer caches. */
public final class InformerView implements KubeView {
  private final SharedIndexInformer<Namespace> namespaces;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Node> nodes;
  private final SharedIndexInformer<Service> services;
  private final SharedIndexInformer<EndpointSlice> slices;

  /** Index of EndpointSlices by the service they belong to, {@code namespace/service}. */
  private static final String BY_SERVICE = "weft-service";

  /** Call before the informers start: the EndpointSlice informer gains an index by service. */
  public InformerView(
      SharedIndexInformer<Namespace> namespaces,
      SharedIndexInformer<Pod> pods,
      SharedIndexInformer<Node> nodes,
      SharedIndexInformer<Service> services,
      SharedIndexInformer<EndpointSlice> slices) {
    this.namespaces = namespaces;
    this.pods = pods;
    this.nodes = nodes;
    this.services = services;
    this.slices = slices;
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
}
