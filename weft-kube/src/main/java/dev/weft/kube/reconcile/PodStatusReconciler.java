package dev.weft.kube.reconcile;

import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.kube.translate.PodInfo;
import dev.weft.kube.translate.PodObjects;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpFamily;
import dev.weft.model.ObjectType;
import dev.weft.model.VirtualMachineInterface;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.Stored;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Writes each pod's {@code k8s.v1.cni.cncf.io/network-status} annotation from what the store says
 * it has ({@code Pod/NS/NAME} keys, on a queue of their own).
 *
 * <p>Kept apart from the pod reconciler so the store converges at the store's speed, not at the API
 * server's: a slow or briefly unavailable API server delays only the annotations, which catch up
 * (the latest state per pod, not every intermediate one) when it recovers.
 */
public final class PodStatusReconciler {
  private final KubeView kube;
  private final KubeWriter writer;
  private final ObjectCache cache;

  public PodStatusReconciler(KubeView kube, KubeWriter writer, ObjectCache cache) {
    this.kube = kube;
    this.writer = writer;
    this.cache = cache;
  }

  /** Returns what it did, for logs and tests. */
  public String reconcile(String key) {
    String[] parts = key.split("/", 3);
    Optional<PodInfo> found = kube.pod(parts[1], parts[2]);
    if (found.isEmpty() || found.get().hostNetwork()) {
      return "no pod";
    }
    PodInfo pod = found.get();
    Optional<String> wanted = status(pod);
    if (wanted.isEmpty()) {
      return "no interface yet";
    }
    if (wanted.get().equals(pod.annotations().get(KubeAnnotations.NETWORK_STATUS))) {
      return "up to date";
    }
    writer.annotatePod(
        pod.namespace(), pod.name(), pod.uid(), KubeAnnotations.NETWORK_STATUS, wanted.get());
    return "written";
  }

  /** The annotation the pod should carry, or empty while it has no interface and address. */
  Optional<String> status(PodInfo pod) {
    Optional<Stored<VirtualMachineInterface>> vmi =
        cache.get(ObjectType.VIRTUAL_MACHINE_INTERFACE, PodObjects.interfaceUuid(pod));
    if (vmi.isEmpty()) {
      return Optional.empty();
    }
    VirtualMachineInterface i = vmi.get().object();
    List<String> ips = new ArrayList<>();
    for (IpFamily family : IpFamily.values()) {
      cache
          .<InstanceIp>get(ObjectType.INSTANCE_IP, PodObjects.instanceIpUuid(pod, family))
          .map(Stored::object)
          .filter(ip -> ip.virtualNetwork().uuid().equals(i.virtualNetwork().uuid()))
          .ifPresent(ip -> ips.add(ip.address()));
    }
    if (ips.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(PodObjects.networkStatus(i.virtualNetwork().to(), ips, i.macAddress()));
  }
}
