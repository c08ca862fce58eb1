package dev.weft.kube.embedded;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.kube.k8s.KubeObjects;
import dev.weft.kube.queue.Result;
import dev.weft.kube.queue.WorkQueue;
import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.model.IpPrefix;
import dev.weft.model.PortRange;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a real control plane would do that the mock API server does not, clearly apart from Weft:
 *
 * <ul>
 *   <li>API server: the {@code default}, {@code kube-system} and {@code kube-public} namespaces and
 *       the {@code kubernetes.io/metadata.name} label; a Service's cluster IPs, IP families and IP
 *       family policy ({@link ServiceAddresses}: ClusterIP, NodePort and LoadBalancer services
 *       without {@code spec.clusterIP} get one per family from the service subnets, never one
 *       another service has; a requested one is kept as given; headless and ExternalName services
 *       get none); a NodePort or LoadBalancer service's node ports ({@link ServiceNodePorts}: one
 *       from the node-port range for every port entry without one, unless a LoadBalancer service
 *       says {@code allocateLoadBalancerNodePorts: false}; never one another service has; kept
 *       across replaces; cleared when the type changes to ClusterIP). What the API server would
 *       refuse is left as it is, logged and recorded as a Warning Event on the service ({@link
 *       ServiceProblems});
 *   <li>kubelets: nodes registering; marking a pod Running with the address Weft gave it (kubelet +
 *       CNI), and Ready, unless the pod carries the annotation {@value #READY_ANNOTATION}{@code :
 *       "false"}, which makes it report {@code Ready=False} so tests and users can simulate an
 *       unready backend (set it back to anything else, or remove it, and the pod turns Ready);
 *   <li>scheduler: binding pods to nodes in turn;
 *   <li>endpoint-slice controller: EndpointSlices for every Service with a selector, from the pods
 *       it selects, named target ports resolved per pod, at most 100 endpoints a slice ({@link
 *       DesiredSlices}, {@link SlicePlanner});
 *   <li>endpoint-slice mirroring controller: slices mirroring the manually managed Endpoints of a
 *       Service without a selector, so Weft only ever reads EndpointSlices;
 *   <li>garbage collector and namespace controller: a deleted service's slices, and a deleted
 *       namespace's pods, services, Endpoints and NetworkPolicies, go away.
 * </ul>
 *
 * <p>Everything is keyed and level-based on one work queue: {@code Namespace/name}, {@code
 * Pod/namespace/name} and {@code Service/namespace/name}; a pod change enqueues only the services
 * of its namespace that select it before or after the change.
 */
public final class StandIns implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StandIns.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String NAME_LABEL = "kubernetes.io/metadata.name";

  /**
   * Pod annotation: {@code "false"} makes the kubelet stand-in report the pod not Ready (its
   * endpoints then say {@code ready: false}); any other value or none, Ready.
   */
  public static final String READY_ANNOTATION = "weft.dev/ready";

  /** The service subnet when none is given: the Kubernetes and Weft default. */
  public static final List<IpPrefix> DEFAULT_SERVICE_SUBNETS =
      List.of(IpPrefix.parse("10.96.0.0/12"));

  /** The node-port range when none is given: the Kubernetes default. */
  public static final PortRange DEFAULT_NODE_PORT_RANGE = new PortRange(30000, 32767);

  /** When a pod whose sandbox could not be set up is tried again. */
  private static final Duration SANDBOX_RETRY = Duration.ofSeconds(1);

  /** How long {@link #start()} waits for the caches to fill before acting on anything. */
  private static final Duration SYNC_TIMEOUT = Duration.ofMinutes(2);

  private final KubernetesClient client;
  private final List<String> nodeNames;
  private final Clock clock;
  private final WorkQueue queue;
  private final SharedIndexInformer<Namespace> namespaces;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Node> nodes;
  private final SharedIndexInformer<Service> services;
  private final SharedIndexInformer<Endpoints> endpoints;
  private final SharedIndexInformer<EndpointSlice> slices;
  private final ServiceStandIn serviceStandIn;
  private final java.util.concurrent.atomic.AtomicInteger nextNode =
      new java.util.concurrent.atomic.AtomicInteger();
  private volatile PodSandboxes sandboxes = PodSandboxes.NONE;

  /**
   * Stand-ins allocating cluster IPs from {@link #DEFAULT_SERVICE_SUBNETS} and node ports from
   * {@link #DEFAULT_NODE_PORT_RANGE}.
   */
  public StandIns(KubernetesClient client, List<String> nodeNames, Clock clock) {
    this(client, nodeNames, DEFAULT_SERVICE_SUBNETS, clock);
  }

  /** Stand-ins allocating node ports from {@link #DEFAULT_NODE_PORT_RANGE}. */
  public StandIns(
      KubernetesClient client, List<String> nodeNames, List<IpPrefix> serviceSubnets, Clock clock) {
    this(client, nodeNames, serviceSubnets, DEFAULT_NODE_PORT_RANGE, clock);
  }

  /**
   * @param serviceSubnets where cluster IPs come from (the cluster's service subnets, one IPv4
   *     and/or one IPv6 for dual stack; the first one's family is the primary family)
   * @param nodePortRange where node ports come from (the API server's {@code
   *     --service-node-port-range}); must not include port 0
   */
  public StandIns(
      KubernetesClient client,
      List<String> nodeNames,
      List<IpPrefix> serviceSubnets,
      PortRange nodePortRange,
      Clock clock) {
    this.client = client;
    this.nodeNames = List.copyOf(nodeNames);
    this.clock = clock;
    this.queue = WorkQueue.create("stand-ins", 4, this::reconcile, null);
    this.namespaces = client.namespaces().runnableInformer(0);
    this.pods = client.pods().inAnyNamespace().runnableInformer(0);
    this.nodes = client.nodes().runnableInformer(0);
    this.services = client.services().inAnyNamespace().runnableInformer(0);
    this.endpoints = client.endpoints().inAnyNamespace().runnableInformer(0);
    this.slices = client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0);
    this.serviceStandIn =
        new ServiceStandIn(
            client,
            services,
            pods,
            endpoints,
            slices,
            new ClusterIpAllocator(serviceSubnets),
            new NodePortAllocator(nodePortRange, new SplittableRandom()),
            clock);
    namespaces.addEventHandler(handler(ns -> "Namespace/" + ns.getMetadata().getName()));
    pods.addEventHandler(podHandler());
    nodes.addEventHandler(handler(n -> "Node/" + n.getMetadata().getName()));
    services.addEventHandler(handler(StandIns::serviceKey));
    endpoints.addEventHandler(handler(StandIns::serviceKey));
    slices.addEventHandler(
        handler(
            s -> {
              String service = ServiceStandIn.service(s);
              return service == null ? null : "Service/" + service;
            }));
  }

  private static String serviceKey(HasMetadata object) {
    return "Service/" + object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
  }

  private static String podKey(Pod pod) {
    return "Pod/" + pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
  }

  /** The kubelet's key for the pod, and the keys of the services whose endpoints it is. */
  private ResourceEventHandler<Pod> podHandler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        queue.add(podKey(pod));
        addServices(pod);
      }

      @Override
      public void onUpdate(Pod before, Pod after) {
        queue.add(podKey(after));
        if (ServiceStandIn.endpointsMayChange(before, after)) {
          addServices(before);
          addServices(after);
        }
      }

      @Override
      public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
        queue.add(podKey(pod));
        addServices(pod);
      }
    };
  }

  private void addServices(Pod pod) {
    for (String service : serviceStandIn.servicesSelecting(pod)) {
      queue.add("Service/" + service);
    }
  }

  /** A handler enqueueing {@code key(object)}, unless that is null. */
  private <T extends HasMetadata> ResourceEventHandler<T> handler(Function<T, String> key) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        add(key.apply(obj));
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        add(key.apply(oldObj));
        add(key.apply(newObj));
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        add(key.apply(obj));
      }

      private void add(String k) {
        if (k != null) {
          queue.add(k);
        }
      }
    };
  }

  /**
   * Makes the kubelet stand-in set up each pod's sandbox through {@code sandboxes} before it marks
   * the pod Running (the lab: a network namespace wired by the real CNI); call before {@link
   * #start()}. Without it, pods run on nothing.
   */
  public StandIns withSandboxes(PodSandboxes sandboxes) {
    this.sandboxes = sandboxes;
    return this;
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
    List<SharedIndexInformer<?>> informers =
        List.of(namespaces, pods, nodes, services, endpoints, slices);
    List<CompletableFuture<Void>> started = new ArrayList<>();
    for (SharedIndexInformer<?> informer : informers) {
      started.add(informer.start().toCompletableFuture());
    }
    // The allocators must know every address and node port in use before they hand one out, and the
    // slice controller every slice before it creates one; reconciles also check, this saves
    // them from retrying.
    try {
      CompletableFuture.allOf(started.toArray(CompletableFuture[]::new))
          .get(SYNC_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("stand-ins: caches not filled after {}, starting anyway: {}", SYNC_TIMEOUT, e);
    }
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

  private Result reconcile(String key) throws Exception {
    String[] parts = key.split("/", 3);
    switch (parts[0]) {
      case "Namespace" -> namespace(parts[1]);
      case "Pod" -> {
        return pod(parts[1], parts[2]);
      }
      case "Service" -> {
        return serviceStandIn.reconcile(parts[1], parts[2]);
      }
      default -> {}
    }
    return Result.done();
  }

  private void namespace(String name) {
    Namespace ns = namespaces.getStore().getByKey(name);
    if (ns == null) {
      // The namespace controller empties a deleted namespace; the services' slices follow them.
      for (Pod p : pods.getIndexer().byIndex(Cache.NAMESPACE_INDEX, name)) {
        client.pods().inNamespace(name).withName(p.getMetadata().getName()).delete();
      }
      for (Service s : services.getIndexer().byIndex(Cache.NAMESPACE_INDEX, name)) {
        client.services().inNamespace(name).withName(s.getMetadata().getName()).delete();
      }
      for (Endpoints e : endpoints.getIndexer().byIndex(Cache.NAMESPACE_INDEX, name)) {
        client.endpoints().inNamespace(name).withName(e.getMetadata().getName()).delete();
      }
      // And its NetworkPolicies: left behind, they would come back with a namespace of the same
      // name. No informer needed: nothing else here reads them.
      client.network().v1().networkPolicies().inNamespace(name).delete();
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

  private Result pod(String namespace, String name) {
    Pod pod = pods.getStore().getByKey(namespace + "/" + name);
    if (pod == null || pod.getMetadata().getDeletionTimestamp() != null) {
      sandboxes.remove(namespace, name);
      return Result.done();
    }
    var spec = pod.getSpec();
    String node = spec == null ? null : spec.getNodeName();
    if (node == null || node.isEmpty()) {
      bind(pod);
      return Result.done();
    }
    List<String> ips = podIps(pod, node);
    if (ips.isEmpty()) {
      return Result.done(); // Weft has not given it an address yet; kubelet waits for the CNI.
    }
    var status = pod.getStatus();
    List<String> current = new ArrayList<>();
    if (status != null && status.getPodIPs() != null) {
      status.getPodIPs().forEach(ip -> current.add(ip.getIp()));
    }
    String phase = status == null ? null : status.getPhase();
    if (current.equals(ips) && ("Succeeded".equals(phase) || "Failed".equals(phase))) {
      return Result.done(); // the kubelet leaves a finished pod's status alone
    }
    if (!Boolean.TRUE.equals(spec.getHostNetwork()) && !sandboxes.ensure(pod, node)) {
      // As kubelet does after a failed sandbox: try again later (the sandboxes said why).
      return Result.requeueAfter(SANDBOX_RETRY);
    }
    boolean ready = ready(pod);
    if (current.equals(ips) && "Running".equals(phase) && DesiredSlices.ready(pod) == ready) {
      return Result.done();
    }
    Map<String, Object> st = new HashMap<>();
    st.put("phase", "Running");
    st.put("podIP", ips.get(0));
    st.put("podIPs", ips.stream().map(ip -> Map.of("ip", ip)).toList());
    st.put("hostIP", nodeAddress(node));
    String now = clock.instant().toString();
    st.put(
        "startTime", status != null && status.getStartTime() != null ? status.getStartTime() : now);
    String readyStatus = ready ? "True" : "False";
    st.put(
        "conditions",
        List.of(
            condition(status, "Initialized", "True", null, now),
            condition(status, "Ready", readyStatus, ready ? null : "ContainersNotReady", now),
            condition(
                status, "ContainersReady", readyStatus, ready ? null : "ContainersNotReady", now),
            condition(status, "PodScheduled", "True", null, now)));
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
    return Result.done();
  }

  /**
   * Whether the kubelet stand-in reports the pod Ready: unless {@value #READY_ANNOTATION} says no.
   */
  private static boolean ready(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    String value = annotations == null ? null : annotations.get(READY_ANNOTATION);
    return value == null || !"false".equalsIgnoreCase(value.trim());
  }

  /** A pod condition, keeping its transition time when its status stays the same. */
  private static Map<String, Object> condition(
      PodStatus status, String type, String value, String reason, String now) {
    String since = now;
    if (status != null && status.getConditions() != null) {
      for (PodCondition c : status.getConditions()) {
        if (type.equals(c.getType())
            && value.equals(c.getStatus())
            && c.getLastTransitionTime() != null) {
          since = c.getLastTransitionTime();
        }
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("type", type);
    out.put("status", value);
    out.put("lastTransitionTime", since);
    if (reason != null) {
      out.put("reason", reason);
      out.put("message", "annotation " + READY_ANNOTATION + " is \"false\"");
    }
    return out;
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
    services.close();
    endpoints.close();
    slices.close();
  }
}
