package dev.weft.kube.k8s;

import dev.weft.kube.reconcile.KubeView;
import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.NodeInfo;
import dev.weft.kube.translate.PodInfo;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.List;
import java.util.Optional;

/** {@link KubeView} over fabric8 informer caches. */
public final class InformerView implements KubeView {
  private final SharedIndexInformer<Namespace> namespaces;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Node> nodes;

  public InformerView(
      SharedIndexInformer<Namespace> namespaces,
      SharedIndexInformer<Pod> pods,
      SharedIndexInformer<Node> nodes) {
    this.namespaces = namespaces;
    this.pods = pods;
    this.nodes = nodes;
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
