package dev.weft.kube.embedded;

import dev.weft.kube.queue.Result;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stand-ins for what the API server and the endpoint-slice controllers do for a Service, keyed
 * by {@code namespace/name}: fill in its cluster IPs and IP families ({@link ServiceAddresses}) and
 * its node ports ({@link ServiceNodePorts}), report what the API server would have refused ({@link
 * ServiceProblems}), keep the EndpointSlices of a service with a selector in step with the pods it
 * selects, mirror a manually managed Endpoints object of a service without one into slices, and
 * delete slices no longer wanted (the mock API server has no garbage collector to follow owner
 * references).
 *
 * <p>The informer indexes added here make every step proportional to the objects involved: pods by
 * namespace and label, services by namespace and selector term, by cluster IP and by node port,
 * slices by service. A pod change reconciles only the services of its namespace that select it
 * before or after the change ({@link #servicesSelecting}).
 */
final class ServiceStandIn {
  private static final Logger log = LoggerFactory.getLogger(ServiceStandIn.class);

  static final String POD_LABELS = "weft-standin-labels";
  static final String SERVICE_SELECTOR = "weft-standin-selector";
  static final String SERVICE_CLUSTER_IP = "weft-standin-cluster-ip";
  static final String SERVICE_NODE_PORT = "weft-standin-node-port";
  static final String SLICE_SERVICE = "weft-standin-service";

  /** How soon to look again at a service whose cache has not caught up with its own writes. */
  private static final Duration RECHECK = Duration.ofMillis(200);

  private static final String NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

  private final KubernetesClient client;
  private final SharedIndexInformer<Service> services;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Endpoints> endpoints;
  private final SharedIndexInformer<EndpointSlice> slices;
  private final ClusterIpAllocator allocator;
  private final NodePortAllocator nodePorts;
  private final SliceTracker tracker;
  private final ServiceProblems problems;

  /**
   * Per service, the resourceVersion this stand-in last replaced with its allocations: until the
   * cache has the written version, a reconcile would decide again on the superseded spec (and, with
   * a node port already released, report the leftover one as the user's).
   */
  private final Map<String, String> superseded = new ConcurrentHashMap<>();

  /** Adds the indexes it needs to the informers, which must not have started yet. */
  ServiceStandIn(
      KubernetesClient client,
      SharedIndexInformer<Service> services,
      SharedIndexInformer<Pod> pods,
      SharedIndexInformer<Endpoints> endpoints,
      SharedIndexInformer<EndpointSlice> slices,
      ClusterIpAllocator allocator,
      NodePortAllocator nodePorts,
      Clock clock) {
    this.client = client;
    this.services = services;
    this.pods = pods;
    this.endpoints = endpoints;
    this.slices = slices;
    this.allocator = allocator;
    this.nodePorts = nodePorts;
    this.tracker = new SliceTracker(clock);
    this.problems = new ServiceProblems(client, clock);
    pods.addIndexers(Map.of(POD_LABELS, p -> terms(p.getMetadata().getNamespace(), labels(p))));
    services.addIndexers(
        Map.of(
            SERVICE_SELECTOR,
            s ->
                terms(
                    s.getMetadata().getNamespace(),
                    s.getSpec() == null ? null : s.getSpec().getSelector()),
            SERVICE_CLUSTER_IP,
            ServiceStandIn::clusterIps,
            SERVICE_NODE_PORT,
            ServiceStandIn::nodePorts));
    slices.addIndexers(Map.of(SLICE_SERVICE, s -> listOf(service(s))));
  }

  private static Map<String, String> labels(Pod pod) {
    return pod.getMetadata().getLabels();
  }

  /** {@code namespace/key=value} for each pair. */
  private static List<String> terms(String namespace, Map<String, String> pairs) {
    if (pairs == null || pairs.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>(pairs.size());
    pairs.forEach((k, v) -> out.add(term(namespace, k, v)));
    return out;
  }

  private static String term(String namespace, String key, String value) {
    return namespace + "/" + key + "=" + value;
  }

  private static List<String> clusterIps(Service service) {
    var spec = service.getSpec();
    if (spec == null) {
      return List.of();
    }
    Set<String> out = new LinkedHashSet<>();
    if (spec.getClusterIPs() != null) {
      spec.getClusterIPs().forEach(ip -> addCanonical(out, ip));
    }
    addCanonical(out, spec.getClusterIP());
    return List.copyOf(out);
  }

  /** The node ports a NodePort or LoadBalancer service's spec claims; other types claim none. */
  private static List<String> nodePorts(Service service) {
    var spec = service.getSpec();
    if (!ServiceNodePorts.hasNodePorts(spec) || spec.getPorts() == null) {
      return List.of();
    }
    Set<String> out = new LinkedHashSet<>();
    for (var port : spec.getPorts()) {
      Integer np = ServiceNodePorts.nodePort(port);
      if (np != null) {
        out.add(np.toString());
      }
    }
    return List.copyOf(out);
  }

  private static void addCanonical(Set<String> out, String ip) {
    String canonical = ip == null ? null : ClusterIpAllocator.canonical(ip);
    if (canonical != null) {
      out.add(canonical);
    }
  }

  private static List<String> listOf(String s) {
    return s == null ? List.of() : List.of(s);
  }

  /**
   * The service ({@code namespace/name}) a slice managed by one of the two controllers belongs to,
   * or null for other slices.
   */
  static String service(EndpointSlice slice) {
    Map<String, String> labels = slice.getMetadata().getLabels();
    if (labels == null) {
      return null;
    }
    String managedBy = labels.get(DesiredSlices.MANAGED_BY_LABEL);
    String name = labels.get(DesiredSlices.SERVICE_NAME_LABEL);
    if (name == null
        || !(DesiredSlices.CONTROLLER.equals(managedBy)
            || DesiredSlices.MIRRORING_CONTROLLER.equals(managedBy))) {
      return null;
    }
    return slice.getMetadata().getNamespace() + "/" + name;
  }

  /** The services ({@code namespace/name}) whose selector picks {@code pod}, from the cache. */
  Set<String> servicesSelecting(Pod pod) {
    String namespace = pod.getMetadata().getNamespace();
    Map<String, String> labels = labels(pod);
    if (labels == null || labels.isEmpty()) {
      return Set.of();
    }
    Set<String> out = new LinkedHashSet<>();
    for (Map.Entry<String, String> label : labels.entrySet()) {
      for (Service s :
          services
              .getIndexer()
              .byIndex(SERVICE_SELECTOR, term(namespace, label.getKey(), label.getValue()))) {
        if (DesiredSlices.selects(s.getSpec().getSelector(), labels)) {
          out.add(namespace + "/" + s.getMetadata().getName());
        }
      }
    }
    return out;
  }

  /** What of a pod its endpoints are made of; a change elsewhere changes no slice. */
  private record PodFacts(
      Map<String, String> labels,
      List<String> ips,
      boolean ready,
      boolean terminating,
      boolean eligible,
      String node,
      String hostname,
      String subdomain,
      Object containers) {
    static PodFacts of(Pod pod) {
      var spec = pod.getSpec();
      return new PodFacts(
          pod.getMetadata().getLabels(),
          DesiredSlices.podIps(pod),
          DesiredSlices.ready(pod),
          pod.getMetadata().getDeletionTimestamp() != null,
          DesiredSlices.eligible(pod),
          spec == null ? null : spec.getNodeName(),
          spec == null ? null : spec.getHostname(),
          spec == null ? null : spec.getSubdomain(),
          spec == null ? null : spec.getContainers());
    }
  }

  /** Whether going from {@code before} to {@code after} can change any slice. */
  static boolean endpointsMayChange(Pod before, Pod after) {
    return !PodFacts.of(before).equals(PodFacts.of(after));
  }

  private boolean synced() {
    return services.hasSynced() && pods.hasSynced() && endpoints.hasSynced() && slices.hasSynced();
  }

  /** Converges the service {@code namespace/name}'s cluster IPs, node ports and slices. */
  Result reconcile(String namespace, String name) {
    if (!synced()) {
      // Allocating before every service is known could hand out an address already in use.
      return Result.requeueAfter(RECHECK);
    }
    String key = namespace + "/" + name;
    Service service = services.getStore().getByKey(key);
    if (service == null) {
      allocator.release(key);
      nodePorts.release(key);
      problems.forget(key);
      superseded.remove(key);
    } else {
      service = withAllocations(key, service);
      if (service == null) {
        return Result.requeueAfter(RECHECK); // written meanwhile: the cache is behind
      }
    }
    if (!tracker.caughtUp(key, slices.getStore()::getByKey)) {
      return Result.requeueAfter(RECHECK);
    }
    List<ObservedSlice> selected = new ArrayList<>();
    List<ObservedSlice> mirrored = new ArrayList<>();
    for (EndpointSlice s : slices.getIndexer().byIndex(SLICE_SERVICE, key)) {
      String managedBy = s.getMetadata().getLabels().get(DesiredSlices.MANAGED_BY_LABEL);
      (DesiredSlices.CONTROLLER.equals(managedBy) ? selected : mirrored)
          .add(SliceObjects.observe(s));
    }

    var spec = service == null ? null : service.getSpec();
    boolean selects =
        spec != null && !ServiceAddresses.externalName(spec) && ServiceAddresses.hasSelector(spec);
    if (selects) {
      List<String> types = DesiredSlices.addressTypes(spec);
      var desired = DesiredSlices.forService(service, candidates(namespace, spec.getSelector()));
      var owner = new SliceObjects.Owner("Service", name, service.getMetadata().getUid());
      Map<String, String> labels = DesiredSlices.labels(service);
      apply(
          key,
          owner,
          labels,
          SlicePlanner.plan(
              desired, types, selected, labels, owner.uid(), DesiredSlices.MAX_ENDPOINTS));
    } else {
      deleteAll(key, selected);
    }

    Endpoints manual =
        spec != null && !ServiceAddresses.hasSelector(spec)
            ? endpoints.getStore().getByKey(key)
            : null;
    if (manual != null && DesiredSlices.mirrors(manual)) {
      var owner = new SliceObjects.Owner("Endpoints", name, manual.getMetadata().getUid());
      Map<String, String> labels = DesiredSlices.mirroredLabels(manual);
      apply(
          key,
          owner,
          labels,
          SlicePlanner.plan(
              DesiredSlices.mirrored(manual),
              List.of(),
              mirrored,
              labels,
              owner.uid(),
              DesiredSlices.MAX_ENDPOINTS));
    } else {
      deleteAll(key, mirrored);
    }
    return Result.done();
  }

  /** The pods that may be selected: those carrying the selector's rarest term. */
  private List<Pod> candidates(String namespace, Map<String, String> selector) {
    List<Pod> best = null;
    for (Map.Entry<String, String> e : selector.entrySet()) {
      List<Pod> some =
          pods.getIndexer().byIndex(POD_LABELS, term(namespace, e.getKey(), e.getValue()));
      if (best == null || some.size() < best.size()) {
        best = some;
      }
      if (best.isEmpty()) {
        break;
      }
    }
    return best == null ? List.of() : best;
  }

  /**
   * Fills in what the API server allocates for a service (cluster IPs and IP families, node ports),
   * in one write that fails rather than overwrite a version of the service this one has not seen;
   * returns the service as it is once they are written, or null when the cache is behind the API (a
   * newer version, or the deletion, is on its way).
   */
  private Service withAllocations(String key, Service service) {
    String version = service.getMetadata().getResourceVersion();
    if (version != null && version.equals(superseded.get(key))) {
      return null;
    }
    List<String> addressProblems = new ArrayList<>();
    ServiceAddresses addresses =
        ServiceAddresses.decide(
            service, allocator, ip -> usedByAnother(key, ip), addressProblems::add);
    problems.set(
        service,
        ServiceProblems.Aspect.CLUSTER_IP,
        addressProblems.isEmpty()
            ? null
            : new ServiceProblems.Problem("ClusterIPAllocationFailed", addressProblems.get(0)));
    List<ServiceProblems.Problem> portProblems = new ArrayList<>();
    ServiceNodePorts ports =
        ServiceNodePorts.decide(service, nodePorts, claims(key, service), portProblems::add);
    problems.set(
        service,
        ServiceProblems.Aspect.NODE_PORTS,
        portProblems.isEmpty() ? null : portProblems.get(0));
    boolean addressesWritten = addresses == null || addresses.writtenIn(service.getSpec());
    boolean portsWritten = ports == null || ports.writtenIn(service.getSpec());
    if (addressesWritten && portsWritten) {
      return service;
    }
    var spec = new ServiceBuilder(service).editOrNewSpec();
    if (!addressesWritten) {
      spec.withClusterIP(addresses.clusterIps().get(0))
          .withClusterIPs(addresses.clusterIps())
          .withIpFamilies(addresses.ipFamilies())
          .withIpFamilyPolicy(addresses.ipFamilyPolicy());
    }
    if (!portsWritten) {
      spec.withPorts(ports.applyTo(service.getSpec().getPorts()));
    }
    try {
      // An update carrying the cached resourceVersion: the mock API server answers 409 when the
      // service changed meanwhile, where a patch would apply to whatever is there (and a JSON
      // patch that no longer applies gets no answer at all).
      Service written = client.resource(spec.endSpec().build()).update();
      if (version != null) {
        superseded.put(key, version);
      }
      return written;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409 || e.getCode() == 404) {
        return null;
      }
      throw e;
    }
  }

  /** What the specs of services other than {@code key} say about node ports. */
  private ServiceNodePorts.Claims claims(String key, Service service) {
    return new ServiceNodePorts.Claims() {
      @Override
      public boolean any(int port) {
        for (Service s : services.getIndexer().byIndex(SERVICE_NODE_PORT, Integer.toString(port))) {
          if (!key.equals(ServiceAddresses.owner(s))) {
            return true;
          }
        }
        return false;
      }

      @Override
      public String earlier(int port) {
        for (Service s : services.getIndexer().byIndex(SERVICE_NODE_PORT, Integer.toString(port))) {
          if (!key.equals(ServiceAddresses.owner(s)) && createdBefore(s, service)) {
            return ServiceAddresses.owner(s);
          }
        }
        return null;
      }
    };
  }

  /**
   * Whether {@code a} was created before {@code b}: by creation time, then (the API keeps it to the
   * second) by {@code namespace/name}, so that every reconcile agrees on which came first.
   */
  static boolean createdBefore(Service a, Service b) {
    Instant ta = created(a);
    Instant tb = created(b);
    if (ta != null && tb != null && !ta.equals(tb)) {
      return ta.isBefore(tb);
    }
    if ((ta == null) != (tb == null)) {
      return ta != null;
    }
    return ServiceAddresses.owner(a).compareTo(ServiceAddresses.owner(b)) < 0;
  }

  private static Instant created(Service s) {
    String stamp = s.getMetadata().getCreationTimestamp();
    try {
      return stamp == null ? null : Instant.parse(stamp);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  private boolean usedByAnother(String key, String ip) {
    for (Service s : services.getIndexer().byIndex(SERVICE_CLUSTER_IP, ip)) {
      if (!key.equals(ServiceAddresses.owner(s))) {
        return true;
      }
    }
    return false;
  }

  private void deleteAll(String key, List<ObservedSlice> slices) {
    if (!slices.isEmpty()) {
      apply(key, null, Map.of(), new SlicePlanner.Plan(List.of(), List.of(), slices));
    }
  }

  private void apply(
      String key, SliceObjects.Owner owner, Map<String, String> labels, SlicePlanner.Plan plan) {
    if (plan.isEmpty()) {
      return;
    }
    String namespace = key.substring(0, key.indexOf('/'));
    String service = key.substring(key.indexOf('/') + 1);
    for (SlicePlanner.Create c : plan.creates()) {
      create(key, namespace, service, owner, labels, c);
    }
    for (SlicePlanner.Update u : plan.updates()) {
      try {
        EndpointSlice written =
            client
                .resource(
                    SliceObjects.build(
                        namespace,
                        u.slice().name(),
                        u.slice().resourceVersion(),
                        labels,
                        owner,
                        u.shape(),
                        u.endpoints()))
                .update();
        tracker.wrote(key, u.slice().name(), written.getMetadata().getResourceVersion());
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) {
          throw e; // 409: the cache was behind; the work queue retries with a fresh look
        }
      }
    }
    for (ObservedSlice d : plan.deletes()) {
      client.discovery().v1().endpointSlices().inNamespace(namespace).withName(d.name()).delete();
      tracker.deleted(key, d.name());
    }
    log.debug(
        "service {}: slices: {} created, {} updated, {} deleted",
        key,
        plan.creates().size(),
        plan.updates().size(),
        plan.deletes().size());
  }

  private void create(
      String key,
      String namespace,
      String service,
      SliceObjects.Owner owner,
      Map<String, String> labels,
      SlicePlanner.Create c) {
    for (int attempt = 1; ; attempt++) {
      String name = sliceName(service);
      try {
        EndpointSlice written =
            client
                .resource(
                    SliceObjects.build(
                        namespace, name, null, labels, owner, c.shape(), c.endpoints()))
                .create();
        tracker.wrote(key, name, written.getMetadata().getResourceVersion());
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 3) {
          throw e;
        }
      }
    }
  }

  /** As the controllers' {@code generateName}: the service name, a dash, five random letters. */
  static String sliceName(String service) {
    String prefix = service.length() > 57 ? service.substring(0, 57) : service;
    StringBuilder name = new StringBuilder(prefix).append('-');
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int i = 0; i < 5; i++) {
      name.append(NAME_ALPHABET.charAt(random.nextInt(NAME_ALPHABET.length())));
    }
    return name.toString();
  }
}
