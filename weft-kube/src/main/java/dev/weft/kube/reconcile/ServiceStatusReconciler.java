package dev.weft.kube.reconcile;

import dev.weft.kube.translate.ServiceInfo;
import dev.weft.kube.translate.ServiceObjects;
import dev.weft.model.FloatingIp;
import dev.weft.store.objects.ObjectCache;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Writes a LoadBalancer service's {@code status.loadBalancer.ingress} from the floating IP the
 * store says it has ({@code Service/NS/NAME} keys, on the status queue with pods' annotations): the
 * status, never the spec, as a cloud load-balancer controller does. A service that is no longer of
 * type LoadBalancer, or lost its floating IP, has its ingress cleared; one still waiting for an
 * address (no pool, say) shows none, which {@code kubectl} prints as {@code <pending>}.
 */
public final class ServiceStatusReconciler {
  private final KubeView kube;
  private final KubeWriter writer;
  private final ObjectCache cache;

  public ServiceStatusReconciler(KubeView kube, KubeWriter writer, ObjectCache cache) {
    this.kube = kube;
    this.writer = writer;
    this.cache = cache;
  }

  /** Returns what it did, for logs and tests. */
  public String reconcile(String key) {
    String[] parts = key.split("/", 3);
    Optional<ServiceInfo> found = kube.service(parts[1], parts[2]);
    if (found.isEmpty()) {
      return "no service";
    }
    ServiceInfo svc = found.get();
    List<String> wanted = ingress(svc, key);
    if (wanted.equals(svc.ingressIps())) {
      return "up to date";
    }
    writer.serviceIngress(svc.namespace(), svc.name(), svc.uid(), wanted);
    return "written " + wanted;
  }

  /** The ingress addresses {@code svc} should show. */
  List<String> ingress(ServiceInfo svc, String key) {
    if (!svc.isLoadBalancer() || !svc.hasVip()) {
      return List.of();
    }
    UUID lb = ServiceObjects.loadbalancerUuid(svc);
    List<String> out = new ArrayList<>();
    for (FloatingIp f : ServiceFloatingIps.current(cache, key, lb)) {
      if (ServiceFloatingIps.FOR_LOADBALANCER.equals(
          f.annotations().get(ServiceFloatingIps.PURPOSE))) {
        out.add(f.address());
      }
    }
    out.sort(null);
    return out;
  }
}
