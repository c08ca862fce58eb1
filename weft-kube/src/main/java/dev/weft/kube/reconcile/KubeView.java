package dev.weft.kube.reconcile;

import dev.weft.kube.translate.EndpointSliceInfo;
import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.NodeInfo;
import dev.weft.kube.translate.PodInfo;
import dev.weft.kube.translate.ServiceInfo;
import java.util.List;
import java.util.Optional;

/** Read-only view of the Kubernetes objects Weft watches, from informer caches. */
public interface KubeView {
  Optional<NamespaceInfo> namespace(String name);

  Optional<PodInfo> pod(String namespace, String name);

  List<PodInfo> podsIn(String namespace);

  List<NamespaceInfo> namespaces();

  List<PodInfo> pods();

  Optional<NodeInfo> node(String name);

  List<NodeInfo> nodes();

  Optional<ServiceInfo> service(String namespace, String name);

  List<ServiceInfo> servicesIn(String namespace);

  List<ServiceInfo> services();

  /** The EndpointSlices labelled as belonging to service {@code namespace/service}. */
  List<EndpointSliceInfo> endpointSlices(String namespace, String service);
}
