package dev.weft.kube;

import dev.weft.kube.k8s.ClientWriter;
import dev.weft.kube.k8s.InformerView;
import dev.weft.kube.queue.Result;
import dev.weft.kube.queue.WorkQueue;
import dev.weft.kube.reconcile.Reconcilers;
import dev.weft.kube.translate.ClusterObjects;
import dev.weft.kube.translate.NamespaceObjects;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.objects.ObjectStore;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kube-manager: informers for namespaces and pods (services, endpoints, ingresses and network
 * policies join in later) feed keys into one work queue; reconcilers converge the store.
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
  private final Reconcilers reconcilers;
  private final SharedIndexInformer<Namespace> namespaces;
  private final SharedIndexInformer<Pod> pods;
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
    // Informers are built now and started in start(); their handlers only enqueue keys.
    this.namespaces = client.namespaces().runnableInformer(0);
    this.pods = client.pods().inAnyNamespace().runnableInformer(0);
    this.view = new InformerView(namespaces, pods);
    namespaces.addEventHandler(
        handler(ns -> NamespaceObjects.key(ns.getMetadata().getName()), true));
    pods.addEventHandler(
        handler(
            p -> "Pod/" + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName(), false));
    this.reconcilers = new Reconcilers(config, store, ipam, view, writer, queue::add);
  }

  private Result reconcile(String key) {
    reconcilers.reconcile(key);
    return Result.done();
  }

  /** Starts the informers, waits until they have synced, queues every key, starts the workers. */
  public void start() throws InterruptedException {
    namespaces.start();
    pods.start();
    waitSynced(namespaces, "namespaces");
    waitSynced(pods, "pods");
    queue.add(ClusterObjects.key());
    view.namespaces().forEach(ns -> queue.add(NamespaceObjects.key(ns.name())));
    view.pods().forEach(p -> queue.add(p.key()));
    // Owners that Kubernetes no longer knows: their reconcile finds nothing and deletes.
    store.cache().ownerKeys().forEach(queue::add);
    queue.start();
    log.info(
        "kube-manager started for cluster {}: {} namespaces, {} pods, {} objects owners in store",
        config.name(),
        view.namespaces().size(),
        view.pods().size(),
        store.cache().ownerKeys().size());
  }

  private static void waitSynced(SharedIndexInformer<?> informer, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
    while (!informer.hasSynced()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the " + what + " informer did not sync within 2 minutes");
      }
      Thread.sleep(20);
    }
  }

  private <T extends io.fabric8.kubernetes.api.model.HasMetadata> ResourceEventHandler<T> handler(
      Function<T, String> key, boolean namespaceFanOut) {
    return new ResourceEventHandler<>() {
      @Override
      public void onAdd(T obj) {
        enqueue(obj);
      }

      @Override
      public void onUpdate(T oldObj, T newObj) {
        if (namespaceFanOut
            && Objects.equals(
                oldObj.getMetadata().getAnnotations(), newObj.getMetadata().getAnnotations())
            && Objects.equals(oldObj.getMetadata().getUid(), newObj.getMetadata().getUid())) {
          // Pods depend only on a namespace's annotations; a label change needs no pod work.
          queue.add(key.apply(newObj));
          return;
        }
        enqueue(newObj);
      }

      @Override
      public void onDelete(T obj, boolean deletedFinalStateUnknown) {
        enqueue(obj);
      }

      private void enqueue(T obj) {
        queue.add(key.apply(obj));
        if (namespaceFanOut) {
          // Pods choose their network from their namespace's annotations.
          String ns = obj.getMetadata().getName();
          view.podsIn(ns).forEach(p -> queue.add(p.key()));
        }
      }
    };
  }

  /**
   * Waits until every key queued so far has been processed (or is waiting on bad input).
   *
   * @return false when the queue did not drain within {@code timeout}
   */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    return queue.awaitIdle(timeout).reached();
  }

  /** Keys whose input is bad, with the reason, for status pages. */
  public Map<String, String> problems() {
    return reconcilers.problems().snapshot();
  }

  public int queueDepth() {
    return queue.depth();
  }

  @Override
  public void close() {
    queue.close();
    namespaces.close();
    pods.close();
    writer.close();
  }
}
