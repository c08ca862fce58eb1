package dev.weft.kube.reconcile;

import dev.weft.kube.translate.EndpointSliceInfo;
import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.NetworkPolicyInfo;
import dev.weft.kube.translate.NodeInfo;
import dev.weft.kube.translate.PodInfo;
import dev.weft.kube.translate.ServiceInfo;
import dev.weft.model.Protocol;
import java.util.List;
import java.util.Optional;
import java.util.Set;

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

  Optional<NetworkPolicyInfo> networkPolicy(String namespace, String name);

  List<NetworkPolicyInfo> networkPoliciesIn(String namespace);

  List<NetworkPolicyInfo> networkPolicies();

  /** Whether a pod of {@code namespace} declares a container port {@code name}/{@code protocol}. */
  boolean declaresPort(String namespace, String name, Protocol protocol);

  /** The namespaces with a pod declaring a container port {@code name}/{@code protocol}. */
  Set<String> namespacesDeclaringPort(String name, Protocol protocol);
}
