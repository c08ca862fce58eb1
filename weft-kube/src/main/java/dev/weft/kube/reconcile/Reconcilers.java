package dev.weft.kube.reconcile;

import dev.weft.kube.ClusterConfig;
import dev.weft.kube.translate.ClusterObjects;
import dev.weft.kube.translate.NamespaceObjects;
import dev.weft.model.ConfigObject;
import dev.weft.model.InstanceIp;
import dev.weft.model.Ref;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.objects.ConflictException;
import dev.weft.store.objects.ObjectStore;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes a work-queue key to its reconciler: {@code Cluster/cluster}, {@code Namespace/NAME},
 * {@code Pod/NS/NAME}, {@code Service/NS/NAME}, {@code Node/NAME}, {@code NetworkPolicy/NS/NAME}.
 * Also turns store changes into the re-queues they imply (a network appeared, an address was freed,
 * a deferred deletion lost its last referrer).
 */
public final class Reconcilers {
  private static final Logger log = LoggerFactory.getLogger(Reconcilers.class);
  private static final int CONFLICT_RETRIES = 5;

  private final ClusterConfig config;
  private final Converger converger;
  private final NamespaceReconciler namespaces;
  private final PodReconciler pods;
  private final ServiceReconciler services;
  private final NetworkPolicyReconciler policies;
  private final Waiters waiters;
  private final Problems problems;
  private final KubeView kube;
  private final dev.weft.store.objects.ObjectCache storeCache;

  public Reconcilers(
      ClusterConfig config,
      ObjectStore store,
      Ipam ipam,
      KubeView kube,
      KubeWriter writer,
      Consumer<String> enqueue,
      Consumer<String> statusEnqueue) {
    this(config, store, ipam, kube, writer, enqueue, statusEnqueue, WriteFence.NONE);
  }

  /**
   * @param fence guards every commit (see {@link WriteFence}); {@link WriteFence#NONE} when this is
   *     the only kube-manager on its store
   */
  public Reconcilers(
      ClusterConfig config,
      ObjectStore store,
      Ipam ipam,
      KubeView kube,
      KubeWriter writer,
      Consumer<String> enqueue,
      Consumer<String> statusEnqueue,
      WriteFence fence) {
    this.config = config;
    this.converger = new Converger(store, fence);
    this.kube = kube;
    this.storeCache = store.cache();
    this.waiters = new Waiters(enqueue);
    this.problems = new Problems(writer, waiters);
    this.namespaces = new NamespaceReconciler(config, kube, converger, problems, store.cache());
    this.pods =
        new PodReconciler(
            config, kube, statusEnqueue, converger, ipam, store.cache(), problems, waiters);
    this.services =
        new ServiceReconciler(
            config,
            kube,
            converger,
            store.kv(),
            store.cache(),
            problems,
            new AddressIndex(store.cache(), enqueue),
            ipam,
            statusEnqueue);
    this.policies = new NetworkPolicyReconciler(config, kube, converger, store.cache(), problems);
    store.cache().addListener((before, after) -> onStoreChange(before, after, enqueue));
  }

  /** Reconciles one key; returns a one-line summary for logs and tests. */
  public String reconcile(String key) {
    for (int attempt = 1; ; attempt++) {
      try {
        Converger.Outcome outcome = route(key, waiters.generation());
        if (outcome != null && outcome.changed()) {
          log.debug(
              "{}: created {}, updated {}, deleted {}",
              key,
              outcome.created(),
              outcome.updated(),
              outcome.deleted());
        }
        return outcome == null ? "waiting" : outcome.toString();
      } catch (ConflictException e) {
        // Another writer changed what we read; the cache has caught up by now, so re-read.
        if (attempt >= CONFLICT_RETRIES) {
          throw e;
        }
      }
    }
  }

  private Converger.Outcome route(String key, long generation) {
    String[] parts = key.split("/", 3);
    return switch (parts[0]) {
      case "Cluster" ->
          converger.converge(
              ClusterObjects.key(),
              ClusterObjects.desired(config, isolatedNamespaces(), clusterNamespaceLabels()),
              null);
      case "Namespace" -> namespaces.reconcile(key, parts[1], generation);
      case "Pod" -> pods.reconcile(key, parts[1], parts[2], generation);
      case "Service" -> services.reconcile(key, parts[1], parts[2], generation);
      case "Node" -> node(key, parts[1], generation);
      case "NetworkPolicy" -> policies.reconcile(key, parts[1], parts[2], generation);
      default -> {
        log.warn("ignoring unknown key {}", key);
        yield null;
      }
    };
  }

  /**
   * The isolated namespaces whose policies the cluster's networks carry; a namespace whose
   * annotations are malformed is left out (its own reconcile reports it).
   */
  private List<ClusterObjects.IsolatedNamespace> isolatedNamespaces() {
    List<ClusterObjects.IsolatedNamespace> out = new java.util.ArrayList<>();
    for (dev.weft.kube.translate.NamespaceInfo ns : kube.namespaces()) {
      try {
        dev.weft.kube.translate.NamespaceSettings s =
            dev.weft.kube.translate.NamespaceSettings.of(ns);
        if (s.isolated() && !ns.name().equals("default")) {
          out.add(new ClusterObjects.IsolatedNamespace(ns.name(), !s.serviceIsolated()));
        }
      } catch (dev.weft.kube.translate.InputException e) {
        // reported by the namespace's own reconcile
      }
    }
    return out;
  }

  /** The labels of the namespaces whose projects the cluster owns ({@code default}, ...). */
  private Map<String, Map<String, String>> clusterNamespaceLabels() {
    Map<String, Map<String, String>> out = new HashMap<>();
    for (String name : NamespaceObjects.CLUSTER_NAMESPACES) {
      kube.namespace(name).ifPresent(ns -> out.put(name, ns.labels()));
    }
    return out;
  }

  private Converger.Outcome node(String key, String name, long generation) {
    java.util.Optional<dev.weft.kube.translate.NodeInfo> node = kube.node(name);
    if (node.isEmpty()) {
      return converger.converge(key, java.util.List.of(), null);
    }
    try {
      var outcome =
          converger.converge(
              key, dev.weft.kube.translate.NodeObjects.desired(config, node.get()), null);
      problems.clear(key);
      return outcome;
    } catch (dev.weft.kube.translate.InputException e) {
      problems.report(key, "Node", "", name, node.get().uid(), generation, e);
      return null;
    }
  }

  private void onStoreChange(ConfigObject before, ConfigObject after, Consumer<String> enqueue) {
    if (after != null && before == null) {
      waiters.wake("object:" + after.fqName());
      if (after.type() == dev.weft.model.ObjectType.VIRTUAL_NETWORK) {
        waiters.wake("network:" + after.fqName());
      }
    }
    if (after != null
        && after.type() == dev.weft.model.ObjectType.VIRTUAL_NETWORK
        && before != null) {
      waiters.wake("network:" + after.fqName());
    }
    if (before instanceof InstanceIp ip
        && (after == null || !((InstanceIp) after).address().equals(ip.address()))) {
      waiters.wake("pool:" + ip.pool());
    }
    if (before instanceof dev.weft.model.FloatingIp fip
        && (after == null
            || !((dev.weft.model.FloatingIp) after).address().equals(fip.address()))) {
      dev.weft.store.ipam.FloatingIpAddresses.reservationPool(fip, storeCache)
          .ifPresent(pool -> waiters.wake("pool:" + pool));
    }
    if (before == null) {
      return;
    }
    // A referrer or child went away: re-queue owners whose deletion waited on it.
    Set<java.util.UUID> kept =
        after == null ? Set.of() : after.refs().stream().map(Ref::uuid).collect(Collectors.toSet());
    for (Ref r : before.refs()) {
      if (!kept.contains(r.uuid())) {
        requeueDeferred(r.uuid(), enqueue);
      }
    }
    if (after == null && before.parent() != null) {
      requeueDeferred(before.parent().uuid(), enqueue);
    }
  }

  private void requeueDeferred(java.util.UUID uuid, Consumer<String> enqueue) {
    String owner = converger.deferredOwner(uuid);
    if (owner != null) {
      enqueue.accept(owner);
    }
  }

  public Problems problems() {
    return problems;
  }

  public Waiters waiters() {
    return waiters;
  }
}
