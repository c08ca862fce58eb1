package dev.weft.kube;

import dev.weft.kube.k8s.ClientWriter;
import dev.weft.kube.k8s.InformerView;
import dev.weft.kube.k8s.KubeObjects;
import dev.weft.kube.queue.Result;
import dev.weft.kube.queue.WorkQueue;
import dev.weft.kube.reconcile.PodStatusReconciler;
import dev.weft.kube.reconcile.Reconcilers;
import dev.weft.kube.translate.ClusterObjects;
import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.kube.translate.NamespaceObjects;
import dev.weft.kube.translate.NodeObjects;
import dev.weft.kube.translate.PodInfo;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.objects.ObjectStore;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kube-manager: informers for namespaces, pods and nodes (services, endpoints, ingresses and
 * network policies join in later) feed keys into one work queue; reconcilers converge the store.
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
  private final WorkQueue queue;
  private final WorkQueue statusQueue;
  private final PodStatusReconciler status;
  private final Reconcilers reconcilers;
  private final SharedIndexInformer<Namespace> namespaces;
  private final SharedIndexInformer<Pod> pods;
  private final SharedIndexInformer<Node> nodes;
  private final InformerView view;

  public KubeManager(
      KubernetesClient client,
      ObjectStore store,
      Ipam ipam,
      ClusterConfig config,
      int workers,
      MeterRegistry registry,
      Clock clock) {
    this.client = client;
    this.store = store;
    this.config = config;
    this.writer = new ClientWriter(client, clock);
    this.queue = WorkQueue.create("kube-manager", workers, this::reconcile, registry);
    this.statusQueue = WorkQueue.create("pod-status", workers, this::writeStatus, registry);
    // Informers are built now and started in start(); their handlers only enqueue keys.
    this.namespaces = client.namespaces().runnableInformer(0);
    this.pods = client.pods().inAnyNamespace().runnableInformer(0);
    this.nodes = client.nodes().runnableInformer(0);
    this.view = new InformerView(namespaces, pods, nodes);
    nodes.addEventHandler(nodeHandler());
    namespaces.addEventHandler(namespaceHandler());
    pods.addEventHandler(podHandler());
    this.status = new PodStatusReconciler(view, writer, store.cache());
    this.reconcilers =
        new Reconcilers(config, store, ipam, view, writer, queue::add, statusQueue::add);
  }

  private Result reconcile(String key) {
    reconcilers.reconcile(key);
    return Result.done();
  }

  private Result writeStatus(String key) {
    status.reconcile(key);
    return Result.done();
  }

  /** Starts the informers, waits until they have synced, queues every key, starts the workers. */
  public void start() throws InterruptedException {
    // start() completes once the informer has listed and synced its cache.
    waitSynced(namespaces.start(), "namespaces");
    waitSynced(pods.start(), "pods");
    waitSynced(nodes.start(), "nodes");
    queue.add(ClusterObjects.key());
    view.namespaces().forEach(ns -> queue.add(NamespaceObjects.key(ns.name())));
    view.pods().forEach(p -> queue.add(p.key()));
    view.nodes().forEach(n -> queue.add(NodeObjects.key(n.name())));
    // Owners that Kubernetes no longer knows: their reconcile finds nothing and deletes.
    store.cache().ownerKeys().forEach(queue::add);
    queue.start();
    statusQueue.start();
    log.info(
        "kube-manager started for cluster {}: {} namespaces, {} pods, {} objects owners in store",
        config.name(),
        view.namespaces().size(),
        view.pods().size(),
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

  /** Namespace events; pods choose their network from their namespace's annotations. */
  private ResourceEventHandler<Namespace> namespaceHandler() {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(Namespace ns) {
        enqueue(ns, true);
      }

      @Override
      public void onUpdate(Namespace oldNs, Namespace newNs) {
        // A label change needs no pod work; an annotation change may move every pod.
        boolean podsAffected =
            !Objects.equals(
                    oldNs.getMetadata().getAnnotations(), newNs.getMetadata().getAnnotations())
                || !Objects.equals(oldNs.getMetadata().getUid(), newNs.getMetadata().getUid());
        enqueue(newNs, podsAffected);
      }

      @Override
      public void onDelete(Namespace ns, boolean deletedFinalStateUnknown) {
        enqueue(ns, true);
      }

      private void enqueue(Namespace ns, boolean withPods) {
        String name = ns.getMetadata().getName();
        queue.add(NamespaceObjects.key(name));
        if (withPods) {
          view.podsIn(name).forEach(p -> queue.add(p.key()));
        }
      }
    };
  }

  /**
   * Pod events. An update that changes nothing the pod reconciler reads (the scheduler binding it,
   * the kubelet reporting status, our own network-status annotation) only re-checks the annotation:
   * at scale these are most pod events, and none of them can move a pod.
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
        if (placementInputs(before).equals(placementInputs(after))) {
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

  /** What the pod reconciler's decisions depend on. */
  private static List<Object> placementInputs(PodInfo p) {
    Map<String, String> annotations = new java.util.HashMap<>(p.annotations());
    annotations.remove(KubeAnnotations.NETWORK_STATUS);
    return List.of(p.uid(), annotations, p.hostNetwork(), p.terminated());
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

  private static Duration remaining(long deadline) {
    return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
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
    queue.close();
    statusQueue.close();
  }

  @Override
  public void close() {
    queue.close();
    statusQueue.close();
    namespaces.close();
    pods.close();
    nodes.close();
    writer.close();
  }
}
