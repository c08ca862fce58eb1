package dev.weft.kube;

import dev.weft.kube.k8s.ClientWriter;
import dev.weft.kube.k8s.InformerBarrier;
import dev.weft.kube.k8s.InformerView;
import dev.weft.kube.k8s.KubeObjects;
import dev.weft.kube.queue.AwaitResult;
import dev.weft.kube.queue.Result;
import dev.weft.kube.queue.WorkQueue;
import dev.weft.kube.reconcile.PodStatusReconciler;
import dev.weft.kube.reconcile.Reconcilers;
import dev.weft.kube.reconcile.ServiceStatusReconciler;
import dev.weft.kube.reconcile.WriteFence;
import dev.weft.kube.translate.ClusterObjects;
import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.kube.translate.NamespaceObjects;
import dev.weft.kube.translate.NetworkPolicyInfo;
import dev.weft.kube.translate.NetworkPolicyObjects;
import dev.weft.kube.translate.NodeObjects;
import dev.weft.kube.translate.PodInfo;
import dev.weft.kube.translate.ServiceInfo;
import dev.weft.kube.translate.ServiceObjects;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.objects.ObjectStore;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kube-manager: informers for namespaces, pods, nodes, services, EndpointSlices and
 * NetworkPolicies (ingresses join in later) feed keys into one work queue; reconcilers converge the
 * store.
 *
 * <p>On start it queues every key Kubernetes knows and every key that owns objects in the store, so
 * objects left by a crash, or by deletes that happened while Weft was down, are collected.
 */
public final class KubeManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(KubeManager.class);

  private final KubernetesClient client;
  private final ObjectStore store;
  private final ClusterConfig config;
  private final ClientWriter writer;
  private final int workers;
  private final MeterRegistry registry;

  /**
   * The queues of the current (or next) leadership term. Replaced, not reused, when leadership is
   * lost: a closed queue drops adds, and the next term starts from a full resync anyway.
   */
  private volatile WorkQueue queue;

  private volatile WorkQueue statusQueue;
  private final PodStatusReconciler status;
  private final ServiceStatusReconciler serviceStatus;
  private final Reconcilers reconcilers;
  private final SharedIndexInformer<Namespace> namespaces;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Node> nodes;
  private final SharedIndexInformer<Service> services;
  private final SharedIndexInformer<EndpointSlice> slices;
  private final SharedIndexInformer<NetworkPolicy> policies;
  private final InformerView view;
  private final InformerBarrier informers = new InformerBarrier();

  /** Adds the reconcilers made themselves (wake-ups, deferred deletions), for awaitProcessed. */
  private final AtomicLong followUps = new AtomicLong();

  /** Set before the queues close: a closed queue drops adds, which no barrier can wait for. */
  private volatile boolean stopped;

  /** Whether this kube-manager is the leader: its workers run (guarded by {@link #terms}). */
  private volatile boolean leading;

  private boolean informersStarted;
  private final Object terms = new Object();

  public KubeManager(
      KubernetesClient client,
      ObjectStore store,
      Ipam ipam,
      ClusterConfig config,
      int workers,
      MeterRegistry registry,
      Clock clock) {
    this(client, store, ipam, config, workers, registry, clock, WriteFence.NONE);
  }

  /**
   * @param fence guards every store commit of the reconcilers; with leader election, the leader's
   *     (see {@link dev.weft.kube.leader.ActiveStandby})
   */
  public KubeManager(
      KubernetesClient client,
      ObjectStore store,
      Ipam ipam,
      ClusterConfig config,
      int workers,
      MeterRegistry registry,
      Clock clock,
      WriteFence fence) {
    this.client = client;
    this.store = store;
    this.config = config;
    this.writer = new ClientWriter(client, clock);
    this.workers = workers;
    this.registry = registry;
    this.queue = newQueue();
    this.statusQueue = newStatusQueue();
    // Informers are built now and started in start(); their handlers only enqueue keys. Each is
    // registered with the barrier of awaitProcessed, which a new informer joins the same way.
    this.nodes = informers.register("Node", client.nodes(), nodeHandler());
    this.namespaces = informers.register("Namespace", client.namespaces(), namespaceHandler());
    this.pods = informers.register("Pod", client.pods().inAnyNamespace(), podHandler());
    this.services =
        informers.register("Service", client.services().inAnyNamespace(), serviceHandler());
    this.slices =
        informers.register(
            "EndpointSlice",
            client.discovery().v1().endpointSlices().inAnyNamespace(),
            sliceHandler());
    this.policies =
        informers.register(
            "NetworkPolicy",
            client.network().v1().networkPolicies().inAnyNamespace(),
            policyHandler());
    this.view = new InformerView(namespaces, pods, nodes, services, slices, policies);
    this.status = new PodStatusReconciler(view, writer, store.cache());
    this.serviceStatus = new ServiceStatusReconciler(view, writer, store.cache());
    this.reconcilers =
        new Reconcilers(
            config, store, ipam, view, writer, this::followUp, key -> statusQueue.add(key), fence);
  }

  private WorkQueue newQueue() {
    return WorkQueue.create("kube-manager", workers, this::reconcile, registry);
  }

  private WorkQueue newStatusQueue() {
    return WorkQueue.create("pod-status", workers, this::writeStatus, registry);
  }

  private void followUp(String key) {
    queue.add(key);
    // Counted after the add: once the count moves, the add is in the queue for the next mark.
    followUps.incrementAndGet();
  }

  private Result reconcile(String key) {
    reconcilers.reconcile(key);
    return Result.done();
  }

  private Result writeStatus(String key) {
    if (key.startsWith("Service/")) {
      serviceStatus.reconcile(key);
    } else {
      status.reconcile(key);
    }
    return Result.done();
  }

  /**
   * Starts the informers, waits until they have synced, queues every key, starts the workers: the
   * kube-manager as the only one on its store ({@link #startInformers()} then {@link #lead()}).
   */
  public void start() throws InterruptedException {
    startInformers();
    lead();
  }

  /**
   * Starts the informers and waits until they have synced, without reconciling or writing: a
   * standby keeps its caches warm so that taking over costs a resync, not a relist. Idempotent.
   */
  public void startInformers() throws InterruptedException {
    synchronized (terms) {
      if (informersStarted) {
        return;
      }
      // start() completes once the informer has listed and synced its cache.
      waitSynced(namespaces.start(), "namespaces");
      waitSynced(pods.start(), "pods");
      waitSynced(nodes.start(), "nodes");
      waitSynced(services.start(), "services");
      waitSynced(slices.start(), "endpoint slices");
      waitSynced(policies.start(), "network policies");
      informersStarted = true;
    }
  }

  /**
   * Starts a leadership term: queues every key Kubernetes knows and every key owning objects in the
   * store (a full resync, since the previous leader may have died at any point), then starts the
   * workers. Call once the store fence is held and the object cache shows everything the previous
   * leader wrote. Does nothing when already leading.
   *
   * @throws IllegalStateException after {@link #stopWorkers()} or {@link #close()}
   */
  public void lead() throws InterruptedException {
    synchronized (terms) {
      if (stopped) {
        throw new IllegalStateException("the kube-manager is stopped");
      }
      if (leading) {
        return;
      }
      startInformers();
      resyncAndStart();
      leading = true;
      terms.notifyAll();
    }
  }

  /**
   * Ends the leadership term: stops the workers (reconciles in flight may finish, and fail at the
   * store fence), keeps the informers, and readies new queues for the next {@link #lead()}. Does
   * nothing when not leading.
   */
  public void standBy() {
    synchronized (terms) {
      if (!leading || stopped) {
        return;
      }
      leading = false;
      // Closed before their successors are made: the queues' metrics are registered by name, and
      // closing unregisters them. Changes seen meanwhile are dropped; the next term resyncs.
      queue.shutdown(STANDBY_GRACE);
      statusQueue.shutdown(STANDBY_GRACE);
      queue = newQueue();
      statusQueue = newStatusQueue();
    }
    log.info("kube-manager for cluster {}: workers stopped, standing by", config.name());
  }

  /** How long a deposed leader waits for reconciles in flight; the fence stops their writes. */
  private static final Duration STANDBY_GRACE = Duration.ofSeconds(10);

  /** Whether the workers run: this kube-manager is the leader (or runs without election). */
  public boolean leading() {
    return leading;
  }

  private void resyncAndStart() {
    WorkQueue queue = this.queue;
    WorkQueue statusQueue = this.statusQueue;
    queue.add(ClusterObjects.key());
    view.namespaces().forEach(ns -> queue.add(NamespaceObjects.key(ns.name())));
    view.pods().forEach(p -> queue.add(p.key()));
    view.nodes().forEach(n -> queue.add(NodeObjects.key(n.name())));
    view.services().forEach(s -> queue.add(s.key()));
    view.networkPolicies().forEach(np -> queue.add(np.key()));
    // Owners that Kubernetes no longer knows: their reconcile finds nothing and deletes.
    store.cache().ownerKeys().forEach(queue::add);
    queue.start();
    statusQueue.start();
    log.info(
        "kube-manager leading for cluster {}: {} namespaces, {} pods, {} network policies, {}"
            + " objects owners in store",
        config.name(),
        view.namespaces().size(),
        view.pods().size(),
        view.networkPolicies().size(),
        store.cache().ownerKeys().size());
  }

  private static void waitSynced(java.util.concurrent.CompletionStage<Void> synced, String what)
      throws InterruptedException {
    try {
      synced.toCompletableFuture().get(2, TimeUnit.MINUTES);
    } catch (java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("the " + what + " informer did not sync within 2 minutes", e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(
          "the "
              + what
              + " informer could not list from the Kubernetes API: "
              + e.getCause().getMessage(),
          e.getCause());
    }
  }

  /** Node events: each node has a vRouter. */
  private ResourceEventHandler<Node> nodeHandler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Node node) {
        queue.add(NodeObjects.key(node.getMetadata().getName()));
      }

      @Override
      public void onUpdate(Node oldNode, Node newNode) {
        // Nodes report status every few seconds; only a changed address or identity matters.
        if (!KubeObjects.node(oldNode).equals(KubeObjects.node(newNode))) {
          queue.add(NodeObjects.key(newNode.getMetadata().getName()));
        }
      }

      @Override
      public void onDelete(Node node, boolean deletedFinalStateUnknown) {
        queue.add(NodeObjects.key(node.getMetadata().getName()));
      }
    };
  }

  /**
   * Namespace events; pods choose their network from their namespace's annotations. Labels are the
   * project's tags and nothing else: a label change is one project update (the cluster's, for the
   * namespaces whose projects it owns), with no pod, service or policy work, since policies name
   * namespaces by selector and the compiler re-evaluates them.
   */
  private ResourceEventHandler<Namespace> namespaceHandler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Namespace ns) {
        enqueue(ns, true, true);
      }

      @Override
      public void onUpdate(Namespace oldNs, Namespace newNs) {
        boolean replaced =
            !Objects.equals(oldNs.getMetadata().getUid(), newNs.getMetadata().getUid());
        // An annotation change may move every pod and service; policies only need the namespace.
        boolean podsAffected =
            replaced
                || !Objects.equals(
                    oldNs.getMetadata().getAnnotations(), newNs.getMetadata().getAnnotations());
        enqueue(newNs, podsAffected, replaced);
        if (!Objects.equals(oldNs.getMetadata().getLabels(), newNs.getMetadata().getLabels())
            && NamespaceObjects.clusterOwnsProject(newNs.getMetadata().getName())) {
          queue.add(ClusterObjects.key());
        }
      }

      @Override
      public void onDelete(Namespace ns, boolean deletedFinalStateUnknown) {
        enqueue(ns, true, true);
      }

      private void enqueue(Namespace ns, boolean withPods, boolean withPolicies) {
        String name = ns.getMetadata().getName();
        queue.add(NamespaceObjects.key(name));
        if (withPolicies) {
          // A policy converges to nothing while its namespace is missing.
          view.networkPoliciesIn(name).forEach(np -> queue.add(np.key()));
        }
        if (withPods) {
          view.podsIn(name).forEach(p -> queue.add(p.key()));
          // Isolation moves the namespace's service VIPs between service networks.
          view.servicesIn(name).forEach(svc -> queue.add(svc.key()));
          // The cluster's networks carry the links to isolated namespaces' policies.
          queue.add(ClusterObjects.key());
        }
      }
    };
  }

  /**
   * Pod events. An update that changes nothing the pod reconciler reads (the kubelet reporting
   * status, our own network-status annotation) only re-checks the annotation: at scale these are
   * most pod events, and none of them can move a pod. The scheduler binding a pod does: its virtual
   * machine then names the node's vRouter. So does a label change (the interface's tags) or a
   * change of declared ports: one interface update, and no policy work.
   */
  private ResourceEventHandler<Pod> podHandler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        queue.add(KubeObjects.pod(pod).key());
      }

      @Override
      public void onUpdate(Pod oldPod, Pod newPod) {
        PodInfo before = KubeObjects.pod(oldPod);
        PodInfo after = KubeObjects.pod(newPod);
        if (reconcileInputs(before).equals(reconcileInputs(after))) {
          statusQueue.add(after.key());
        } else {
          queue.add(after.key());
        }
      }

      @Override
      public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
        queue.add(KubeObjects.pod(pod).key());
      }
    };
  }

  /**
   * Service events. Only what the service reconciler reads (type, cluster IPs, ports, UID) queues
   * work; status writes do not.
   */
  private ResourceEventHandler<Service> serviceHandler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Service svc) {
        queue.add(KubeObjects.service(svc).key());
      }

      @Override
      public void onUpdate(Service oldSvc, Service newSvc) {
        ServiceInfo before = KubeObjects.service(oldSvc);
        ServiceInfo after = KubeObjects.service(newSvc);
        if (!withoutStatus(before).equals(withoutStatus(after))) {
          queue.add(after.key());
        } else if (!before.ingressIps().equals(after.ingressIps())) {
          // Someone else changed the status we write (or ours came back): check it.
          statusQueue.add(after.key());
        }
      }

      @Override
      public void onDelete(Service svc, boolean deletedFinalStateUnknown) {
        queue.add(KubeObjects.service(svc).key());
      }
    };
  }

  /** What the service reconciler reads: the service without the status it writes itself. */
  private static ServiceInfo withoutStatus(ServiceInfo s) {
    return new ServiceInfo(
        s.namespace(),
        s.name(),
        s.uid(),
        s.type(),
        s.clusterIps(),
        s.ports(),
        s.annotations(),
        s.loadBalancerIp(),
        s.externalIps(),
        List.of());
  }

  /**
   * EndpointSlice events queue the service the slice is labelled with ({@code
   * kubernetes.io/service-name}); a slice moved to another service queues both.
   */
  private ResourceEventHandler<EndpointSlice> sliceHandler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(EndpointSlice slice) {
        enqueue(slice);
      }

      @Override
      public void onUpdate(EndpointSlice oldSlice, EndpointSlice newSlice) {
        if (!KubeObjects.endpointSlice(oldSlice).equals(KubeObjects.endpointSlice(newSlice))) {
          enqueue(oldSlice);
          enqueue(newSlice);
        }
      }

      @Override
      public void onDelete(EndpointSlice slice, boolean deletedFinalStateUnknown) {
        enqueue(slice);
      }

      private void enqueue(EndpointSlice slice) {
        String service = KubeObjects.serviceOf(slice);
        if (service != null) {
          queue.add(ServiceObjects.key(slice.getMetadata().getNamespace(), service));
        }
      }
    };
  }

  /** What the pod reconciler's decisions and objects depend on. */
  private static List<Object> reconcileInputs(PodInfo p) {
    Map<String, String> annotations = new java.util.HashMap<>(p.annotations());
    annotations.remove(KubeAnnotations.NETWORK_STATUS);
    // The node: the pod's virtual machine names its node's vRouter, the next hop of its addresses.
    // Labels and declared ports: the interface carries them for policies.
    return List.of(
        p.uid(), annotations, p.hostNetwork(), p.terminated(), p.nodeName(), p.labels(), p.ports());
  }

  /**
   * NetworkPolicy events queue the policy's key when its spec (or UID) changed; metadata-only
   * updates (labels, annotations, managed fields) do not.
   */
  private ResourceEventHandler<NetworkPolicy> policyHandler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(NetworkPolicy np) {
        queue.add(KubeObjects.networkPolicy(np).key());
      }

      @Override
      public void onUpdate(NetworkPolicy oldNp, NetworkPolicy newNp) {
        NetworkPolicyInfo after = KubeObjects.networkPolicy(newNp);
        if (!KubeObjects.networkPolicy(oldNp).equals(after)) {
          queue.add(after.key());
        }
      }

      @Override
      public void onDelete(NetworkPolicy np, boolean deletedFinalStateUnknown) {
        queue.add(
            NetworkPolicyObjects.key(np.getMetadata().getNamespace(), np.getMetadata().getName()));
      }
    };
  }

  /**
   * Waits until every key queued so far has been processed (or is waiting on bad input).
   *
   * @return false when the queue did not drain within {@code timeout}
   */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    // Reconciles feed the status queue; idle means both are idle, checked in that order twice.
    for (int round = 0; round < 2; round++) {
      if (!queue.awaitIdle(remaining(deadline)).reached()
          || !statusQueue.awaitIdle(remaining(deadline)).reached()) {
        return false;
      }
    }
    return true;
  }

  /**
   * A barrier for readers of the store: waits until every change made in Kubernetes before this
   * call has been processed, and says at which store revision. For {@code weft probe}, which then
   * evaluates reachability on a view of the store at that revision or later. It never sleeps; it
   * gives up at {@code timeout} (one deadline for all the steps) and says what held it.
   *
   * <ol>
   *   <li>Every informer's event handler catches up with the API as it is now (see {@link
   *       InformerBarrier}): from then on, every change made before the call is a key in the work
   *       queue. (Handlers queue keys after fabric8 updated the informer's store, so it is the
   *       handlers that are waited for, not the store.)
   *   <li>Every key queued so far is processed ({@link
   *       dev.weft.kube.queue.WorkQueue#awaitProcessed}), repeatedly while that work makes the
   *       reconcilers queue more (a pod waiting for its namespace's network is woken when the
   *       network is committed; a network whose deletion waited for its last interface is queued
   *       again). A key that fails, or whose input is bad (no address left, an address outside the
   *       network), counts as processed: it is reported in {@link Processed#failingKeys()}, and its
   *       retries are not waited for.
   *   <li>Reconcilers return only once the object cache shows their own commits ({@link
   *       dev.weft.store.objects.ObjectStore#commit}), so the cache's revision then includes the
   *       effect of all of it: that is {@link Processed#storeRevision()}.
   * </ol>
   *
   * <p>Step 2 relies on the object cache telling its listeners of a commit before {@code commit}
   * returns (they queue the wake-ups): a wake-up queued after the reconcile that caused it has
   * finished could be missed by the last round.
   *
   * <p>The pod-status queue (the {@code network-status} annotation and pod IPs written back to
   * Kubernetes) is not waited for: it changes nothing in the store, so nothing reachability depends
   * on. Changes made during the call may or may not be included. Under a steady stream of changes
   * that keep waking reconcilers, step 2 may not settle before the timeout.
   *
   * <p>Not reached, at once, when the workers are stopped ({@link #stopWorkers()}, {@link
   * #close()}) or the informers cannot list from the API; before {@link #start()}, not reached at
   * the timeout. Thread-safe; calls may overlap.
   */
  public Processed awaitProcessed(Duration timeout) throws InterruptedException {
    Objects.requireNonNull(timeout, "timeout");
    long deadline = System.nanoTime() + nanos(timeout);
    if (stopped) {
      return gaveUp(WORKERS_STOPPED, Map.of(), Set.of(), queue.failingKeys());
    }
    if (!awaitLeading(deadline)) {
      return gaveUp(
          stopped ? WORKERS_STOPPED : STANDING_BY, Map.of(), Set.of(), queue.failingKeys());
    }
    // One term's queue throughout: if leadership is lost meanwhile, it is closed and the wait ends.
    WorkQueue queue = this.queue;
    Map<String, String> behind = informers.awaitCaughtUp(remaining(deadline));
    if (!behind.isEmpty()) {
      return gaveUp(
          "the informers had not caught up with the Kubernetes API within " + timeout,
          behind,
          Set.of(),
          queue.failingKeys());
    }
    AwaitResult drained;
    while (true) {
      long before = followUps.get();
      drained = queue.awaitProcessed(queue.mark(), remaining(deadline));
      if (!drained.reached() || followUps.get() == before) {
        break;
      }
      if (deadline - System.nanoTime() <= 0) {
        return gaveUp(
            "reconciles kept queueing follow-up work for " + timeout,
            Map.of(),
            Set.of(),
            drained.failing());
      }
    }
    // After the informers caught up: a change the handlers passed to a closed queue was dropped,
    // and the marks above cover no such add, so the queue alone would look done.
    if (stopped || queue != this.queue) {
      return gaveUp(
          stopped ? WORKERS_STOPPED : STANDING_BY, Map.of(), drained.pending(), drained.failing());
    }
    if (!drained.reached()) {
      return gaveUp(
          "the work queue had not processed every change within " + timeout,
          Map.of(),
          drained.pending(),
          drained.failing());
    }
    return new Processed(
        true, store.cache().revision(), "", Map.of(), Set.of(), failing(drained.failing()));
  }

  private static final String WORKERS_STOPPED =
      "the kube-manager's workers are stopped; changes are no longer processed";

  private static final String STANDING_BY =
      "this kube-manager is standing by; the leader processes changes (see GET /status)";

  /** Waits until this kube-manager leads, or the deadline; false when it does not lead by then. */
  private boolean awaitLeading(long deadline) throws InterruptedException {
    synchronized (terms) {
      while (!leading && !stopped) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(terms, left);
      }
      return leading;
    }
  }

  private Processed gaveUp(
      String reason,
      Map<String, String> behind,
      Set<String> pending,
      Map<String, String> queueFailing) {
    return new Processed(
        false, store.cache().revision(), reason, behind, pending, failing(queueFailing));
  }

  /** Bad input the reconcilers reported, and reconciles that threw (the more recent word). */
  private Map<String, String> failing(Map<String, String> queueFailing) {
    Map<String, String> out = new TreeMap<>(reconcilers.problems().snapshot());
    out.putAll(queueFailing);
    return out;
  }

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
  }

  private static long nanos(Duration duration) {
    if (duration.isNegative()) {
      return 0;
    }
    try {
      return duration.toNanos();
    } catch (ArithmeticException e) {
      // Far enough to mean "never" without overflowing a deadline computed from System.nanoTime.
      return Long.MAX_VALUE / 2;
    }
  }

  /** Keys whose input is bad, with the reason, for status pages. */
  public Map<String, String> problems() {
    return reconcilers.problems().snapshot();
  }

  public int queueDepth() {
    return queue.depth();
  }

  /**
   * Stops reconciling and writing, as a crash would, but leaves the informers' watches open. For
   * tests of crash recovery against the embedded API server, which stalls when a watch is closed
   * while it has events queued for it; {@link #close()} still releases everything.
   */
  public void stopWorkers() {
    WorkQueue q;
    WorkQueue s;
    synchronized (terms) {
      stopped = true;
      leading = false;
      q = queue;
      s = statusQueue;
      terms.notifyAll();
    }
    q.close();
    s.close();
  }

  @Override
  public void close() {
    stopWorkers();
    namespaces.close();
    pods.close();
    nodes.close();
    services.close();
    slices.close();
    policies.close();
    writer.close();
  }
}
