package dev.weft.kube.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.kube.k8s.KubeObjects;
import dev.weft.kube.queue.Result;
import dev.weft.kube.queue.WorkQueue;
import dev.weft.kube.translate.KubeAnnotations;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a real control plane would do that the mock API server does not, clearly apart from Weft:
 * the {@code default} and {@code kube-system} namespaces and the {@code
 * kubernetes.io/metadata.name} label (API server), nodes (kubelets registering), binding pods to
 * nodes (scheduler), marking pods Running with the address Weft gave them (kubelet + CNI), and
 * deleting a namespace's pods when it goes away (namespace controller).
 */
public final class StandIns implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StandIns.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String NAME_LABEL = "kubernetes.io/metadata.name";

  private final KubernetesClient client;
  private final List<String> nodeNames;
  private final Clock clock;
  private final WorkQueue queue;
  private final SharedIndexInformer<Namespace> namespaces;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Node> nodes;
  private final java.util.concurrent.atomic.AtomicInteger nextNode =
      new java.util.concurrent.atomic.AtomicInteger();

  public StandIns(KubernetesClient client, List<String> nodeNames, Clock clock) {
    this.client = client;
    this.nodeNames = List.copyOf(nodeNames);
    this.clock = clock;
    this.queue = WorkQueue.create("stand-ins", 4, this::reconcile, null);
    this.namespaces = client.namespaces().runnableInformer(0);
    this.pods = client.pods().inAnyNamespace().runnableInformer(0);
    this.nodes = client.nodes().runnableInformer(0);
    namespaces.addEventHandler(handler(ns -> "Namespace/" + ns.getMetadata().getName()));
    pods.addEventHandler(
        handler(p -> "Pod/" + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName()));
    nodes.addEventHandler(handler(n -> "Node/" + n.getMetadata().getName()));
  }

  private <T extends HasMetadata> ResourceEventHandler<T> handler(Function<T, String> key) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        queue.add(key.apply(obj));
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        queue.add(key.apply(newObj));
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        queue.add(key.apply(obj));
      }
    };
  }

  /** Creates the built-in namespaces and the nodes, then follows the cluster. */
  public void start() {
    for (String ns : List.of("default", "kube-system", "kube-public")) {
      createIfMissing(
          new NamespaceBuilder()
              .withNewMetadata()
              .withName(ns)
              .addToLabels(NAME_LABEL, ns)
              .endMetadata()
              .build());
    }
    for (int i = 0; i < nodeNames.size(); i++) {
      createIfMissing(node(nodeNames.get(i), i));
    }
    namespaces.start();
    pods.start();
    nodes.start();
    queue.start();
  }

  private void createIfMissing(HasMetadata object) {
    try {
      client.resource(object).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw e;
      }
    }
  }

  /** Node {@code i}: Ready, with an InternalIP on the IP fabric (10.64.0.11, .12, ...). */
  private Node node(String name, int i) {
    String address = "10.64.0." + (11 + i);
    return new NodeBuilder()
        .withNewMetadata()
        .withName(name)
        .addToLabels("kubernetes.io/hostname", name)
        .addToLabels("kubernetes.io/os", "linux")
        .endMetadata()
        .withNewStatus()
        .addNewAddress()
        .withType("InternalIP")
        .withAddress(address)
        .endAddress()
        .addNewAddress()
        .withType("Hostname")
        .withAddress(name)
        .endAddress()
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .withReason("KubeletReady")
        .endCondition()
        .endStatus()
        .build();
  }

  private Result reconcile(String key) {
    String[] parts = key.split("/", 3);
    switch (parts[0]) {
      case "Namespace" -> namespace(parts[1]);
      case "Pod" -> pod(parts[1], parts[2]);
      default -> {}
    }
    return Result.done();
  }

  private void namespace(String name) {
    Namespace ns = namespaces.getStore().getByKey(name);
    if (ns == null) {
      // The namespace controller empties a deleted namespace.
      for (Pod p : pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, name)) {
        client.pods().inNamespace(name).withName(p.getMetadata().getName()).delete();
      }
      return;
    }
    Map<String, String> labels = ns.getMetadata().getLabels();
    if (labels == null || !name.equals(labels.get(NAME_LABEL))) {
      // The API server sets this label on every namespace and keeps it.
      patch(
          client
              .namespaces()
              .resource(
                  new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()),
          "{\"metadata\":{\"labels\":{\"" + NAME_LABEL + "\":\"" + name + "\"}}}");
    }
  }

  private void pod(String namespace, String name) {
    Pod pod = pods.getStore().getByKey(namespace + "/" + name);
    if (pod == null || pod.getMetadata().getDeletionTimestamp() != null) {
      return;
    }
    var spec = pod.getSpec();
    String node = spec == null ? null : spec.getNodeName();
    if (node == null || node.isEmpty()) {
      bind(pod);
      return;
    }
    List<String> ips = podIps(pod, node);
    if (ips.isEmpty()) {
      return; // Weft has not given it an address yet; kubelet waits for the CNI.
    }
    var status = pod.getStatus();
    List<String> current = new ArrayList<>();
    if (status != null && status.getPodIPs() != null) {
      status.getPodIPs().forEach(ip -> current.add(ip.getIp()));
    }
    String phase = status == null ? null : status.getPhase();
    if (current.equals(ips)
        && ("Running".equals(phase) || "Succeeded".equals(phase) || "Failed".equals(phase))) {
      return;
    }
    Map<String, Object> st = new HashMap<>();
    st.put("phase", "Running");
    st.put("podIP", ips.get(0));
    st.put("podIPs", ips.stream().map(ip -> Map.of("ip", ip)).toList());
    st.put("hostIP", nodeAddress(node));
    String now = clock.instant().toString();
    st.put(
        "startTime", status != null && status.getStartTime() != null ? status.getStartTime() : now);
    st.put(
        "conditions",
        List.of(
            Map.of("type", "Ready", "status", "True", "lastTransitionTime", now),
            Map.of("type", "PodScheduled", "status", "True", "lastTransitionTime", now)));
    try {
      // A JSON patch that replaces the whole status: kubelet owns it, and a merge patch would
      // append to podIPs and conditions on the mock API server (Jackson merges arrays by
      // appending), where the real API server replaces them.
      client
          .pods()
          .inNamespace(namespace)
          .resource(KubeObjects.podRef(namespace, name))
          .patch(
              PatchContext.of(PatchType.JSON),
              JSON.writeValueAsString(
                  List.of(Map.of("op", "add", "path", "/status", "value", st))));
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Host-network pods use the node's address; others the addresses Weft wrote on them. */
  private List<String> podIps(Pod pod, String node) {
    if (Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
      String address = nodeAddress(node);
      return address == null ? List.of() : List.of(address);
    }
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    String status = annotations == null ? null : annotations.get(KubeAnnotations.NETWORK_STATUS);
    if (status == null) {
      return List.of();
    }
    try {
      List<String> out = new ArrayList<>();
      for (JsonNode entry : JSON.readTree(status)) {
        if (entry.path("default").asBoolean(true)) {
          entry.path("ips").forEach(ip -> out.add(ip.asText()));
        }
      }
      return out;
    } catch (java.io.IOException e) {
      log.warn(
          "pod {}/{}: unreadable network-status: {}",
          pod.getMetadata().getNamespace(),
          pod.getMetadata().getName(),
          e.getMessage());
      return List.of();
    }
  }

  private String nodeAddress(String node) {
    Node n = nodes.getStore().getByKey(node);
    if (n == null || n.getStatus() == null || n.getStatus().getAddresses() == null) {
      return null;
    }
    return n.getStatus().getAddresses().stream()
        .filter(a -> "InternalIP".equals(a.getType()))
        .map(a -> a.getAddress())
        .findFirst()
        .orElse(null);
  }

  /** The scheduler, simplified: nodes in turn (every stand-in node is Ready and alike). */
  private void bind(Pod pod) {
    List<String> ready =
        nodes.getStore().list().stream().map(n -> n.getMetadata().getName()).sorted().toList();
    if (ready.isEmpty()) {
      return;
    }
    String target = ready.get(Math.floorMod(nextNode.getAndIncrement(), ready.size()));
    patch(
        client
            .pods()
            .inNamespace(pod.getMetadata().getNamespace())
            .resource(
                KubeObjects.podRef(pod.getMetadata().getNamespace(), pod.getMetadata().getName())),
        "{\"spec\":{\"nodeName\":\"" + target + "\"}}");
  }

  private static void patch(
      io.fabric8.kubernetes.client.dsl.Resource<? extends HasMetadata> resource, String json) {
    try {
      resource.patch(PatchContext.of(PatchType.JSON_MERGE), json);
    } catch (KubernetesClientException e) {
      if (e.getCode() != 404) {
        throw e;
      }
    }
  }

  public boolean awaitIdle(java.time.Duration timeout) throws InterruptedException {
    return queue.awaitIdle(timeout).reached();
  }

  /**
   * Stops acting on the cluster; the watches stay open until {@link #close()}. Closing watches
   * while the mock API server still runs can stall it, so owners stop the workers, close the
   * server, then close this.
   */
  public void stopWorkers() {
    queue.close();
  }

  @Override
  public void close() {
    queue.close();
    namespaces.close();
    pods.close();
    nodes.close();
  }
}
