package dev.weft.kube.reconcile;

import dev.weft.kube.ClusterConfig;
import dev.weft.kube.translate.InputException;
import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.PodAddress;
import dev.weft.kube.translate.ServiceInfo;
import dev.weft.kube.translate.ServiceObjects;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpFamily;
import dev.weft.model.IpPrefix;
import dev.weft.model.Names;
import dev.weft.model.ObjectType;
import dev.weft.model.Project;
import dev.weft.model.Ref;
import dev.weft.model.Subnet;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.Compare;
import dev.weft.store.ConfigStore;
import dev.weft.store.KeyValue;
import dev.weft.store.Operation;
import dev.weft.store.ipam.AddressPool;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.Stored;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Converges one service ({@code Service/NS/NAME}) to its load balancer: the VIP instance IP, whose
 * address (the cluster IP) is reserved in the service IPAM in the same transaction that creates it,
 * so no pod or other service can be given it; listeners and pools per port; members for the ready
 * endpoints of the service's EndpointSlices. Headless and {@code ExternalName} services, and
 * services not yet given a cluster IP, have nothing.
 *
 * <p>Kubernetes chose the cluster IP, so there is nothing for {@link Ipam#reserve} to choose, and
 * its in-memory view, which follows a watch of its own, may still show an address released a moment
 * ago. The reservation is read from the store instead, which also says who holds it, and written
 * under the IPAM's key with a guard, so every allocator of the pool sees it.
 */
final class ServiceReconciler {
  private final ClusterConfig config;
  private final KubeView kube;
  private final Converger converger;
  private final ConfigStore kv;
  private final ObjectCache cache;
  private final Problems problems;
  private final AddressIndex addresses;
  private final ServiceFloatingIps floatingIps;
  private final Consumer<String> statusQueue;

  ServiceReconciler(
      ClusterConfig config,
      KubeView kube,
      Converger converger,
      ConfigStore kv,
      ObjectCache cache,
      Problems problems,
      AddressIndex addresses,
      Ipam ipam,
      Consumer<String> statusQueue) {
    this.config = config;
    this.kube = kube;
    this.converger = converger;
    this.kv = kv;
    this.cache = cache;
    this.problems = problems;
    this.addresses = addresses;
    this.floatingIps = new ServiceFloatingIps(config, kv, cache, ipam);
    this.statusQueue = statusQueue;
  }

  Converger.Outcome reconcile(String key, String namespace, String name, long generation) {
    Optional<ServiceInfo> found = kube.service(namespace, name);
    if (found.isEmpty() || !found.get().hasVip()) {
      problems.clear(key);
      Converger.Outcome gone = converger.converge(key, List.of(), null);
      statusQueue.accept(key);
      return gone;
    }
    ServiceInfo svc = found.get();
    Optional<NamespaceInfo> ns = kube.namespace(namespace);
    if (ns.isEmpty()) {
      // Going away with its namespace, or created right after it and seen first: either way the
      // namespace's own events re-queue its services.
      problems.clear(key);
      return converger.converge(key, List.of(), null);
    }
    try {
      return place(key, svc, ns.get(), generation);
    } catch (InputException e) {
      // What the service had stays: nothing is half-made, and during a transient wait (its new
      // network not created yet) the VIP keeps working where it is.
      problems.report(key, "Service", namespace, name, svc.uid(), generation, e);
      return null;
    }
  }

  private Converger.Outcome place(String key, ServiceInfo svc, NamespaceInfo ns, long generation) {
    String where = "service \"" + svc.namespace() + "/" + svc.name() + "\"";
    List<String> vips = ServiceObjects.vips(svc);
    FqName networkFq = ServiceObjects.vipNetwork(config, ns);
    VirtualNetwork network =
        this.<VirtualNetwork>find(ObjectType.VIRTUAL_NETWORK, networkFq)
            .orElseThrow(
                () ->
                    new InputException(
                        "NetworkNotFound",
                        where + ": service network " + networkFq + " does not exist yet",
                        "network:" + networkFq,
                        true));
    IpamReadiness.require(network, cache);
    AddressPool pool =
        AddressPool.of(network, cache)
            .orElseThrow(
                () ->
                    new InputException(
                        "NetworkHasNoSubnet",
                        where
                            + ": service network "
                            + networkFq
                            + " has no subnet to hold the cluster IP",
                        "network:" + networkFq));
    FqName projectFq = Names.projectFq(config.name(), svc.namespace());
    Project project =
        this.<Project>find(ObjectType.PROJECT, projectFq)
            .orElseThrow(
                () ->
                    new InputException(
                        "ProjectNotReady",
                        where + ": project " + projectFq + " does not exist yet",
                        "object:" + projectFq,
                        true));
    // A VIP sits on no link: the service subnets have no gateway, so the first address (which
    // Kubernetes gives the "kubernetes" service) is a VIP like any other.
    List<Subnet> vipSubnets =
        pool.subnets().stream()
            .map(s -> new Subnet(s.prefix(), s.prefix().addressAt(BigInteger.ZERO)))
            .toList();

    Set<IpFamily> families = new LinkedHashSet<>();
    List<PodAddress> held = new ArrayList<>();
    List<Compare> guards = new ArrayList<>();
    List<Operation> writes = new ArrayList<>();
    for (String vip : vips) {
      IpFamily family = ServiceObjects.family(vip);
      families.add(family);
      held.add(new PodAddress(vip, subnetOf(where, vip, vipSubnets, networkFq), pool.id()));
      String reservation = Ipam.key(pool.id(), vip);
      Optional<KeyValue> current = kv.get(reservation);
      if (current.isEmpty()) {
        guards.add(Compare.absent(reservation));
        writes.add(Operation.Put.of(reservation, key));
      } else if (!current.get().valueAsString().equals(key)) {
        throw unavailable(where, pool, vip, current.get().valueAsString());
      } else if (!holds(svc, family, pool, vip)) {
        // Held by this key's VIP of a previous UID (the service deleted and created again), which
        // goes in this transaction: the reservation passes on where the converger would release
        // it (one transaction cannot release a key and take it again).
        guards.add(Compare.modRevision(reservation, current.get().modRevision()));
        writes.add(Operation.Put.of(reservation, key));
      }
    }
    List<ServiceObjects.Backend> backends =
        ServiceObjects.backends(svc, kube.endpointSlices(svc.namespace(), svc.name()), families);
    Map<String, Ref> interfaces = new HashMap<>();
    for (ServiceObjects.Backend b : backends) {
      if (!interfaces.containsKey(b.address())) {
        interfaces.put(b.address(), addresses.interfaceOf(b.address(), b.pod()));
      }
    }
    List<ConfigObject> desired =
        new ArrayList<>(
            ServiceObjects.desired(
                config, svc, Ref.to(project), Ref.to(network), held, backends, interfaces));
    Ref lb =
        desired.stream()
            .filter(o -> o.type() == ObjectType.LOADBALANCER)
            .map(Ref::to)
            .findFirst()
            .orElseThrow();
    // The addresses from outside are all or nothing; when they cannot be had, the service still
    // gets its cluster IP, and keeps the floating IPs it had, until its input is fixed.
    ServiceFloatingIps.Plan fips;
    InputException outside = null;
    try {
      fips = floatingIps.plan(svc, ns, lb, key);
    } catch (InputException e) {
      outside = e;
      fips =
          new ServiceFloatingIps.Plan(
              floatingIps.current(key, lb.uuid()), List.of(), List.of(), List.of());
    }
    desired.addAll(fips.floatingIps());
    ServiceFloatingIps.Plan plan = fips;
    boolean committed = false;
    Converger.Outcome outcome;
    try {
      outcome =
          converger.converge(
              key,
              desired,
              txn -> {
                guards.forEach(txn::guard);
                plan.guards().forEach(txn::guard);
                // After the converger's own writes: a reservation passed on replaces its release.
                writes.forEach(txn::write);
                plan.writes().forEach(txn::write);
              });
      committed = true;
    } finally {
      floatingIps.settle(plan, committed);
    }
    if (outside != null) {
      problems.report(key, "Service", svc.namespace(), svc.name(), svc.uid(), generation, outside);
    } else {
      problems.clear(key);
    }
    statusQueue.accept(key);
    return outcome;
  }

  /**
   * The service subnet holding {@code vip}.
   *
   * @throws InputException (InvalidClusterIP) when none does, or it is the subnet's network or
   *     (IPv4) broadcast address, which Kubernetes' own allocator never hands out either
   */
  private static Subnet subnetOf(String where, String vip, List<Subnet> subnets, FqName networkFq) {
    for (Subnet s : subnets) {
      IpPrefix p = s.prefix();
      if (p.contains(vip)) {
        BigInteger offset = p.offsetOf(vip);
        boolean broadcast =
            p.family() == IpFamily.V4 && offset.equals(p.size().subtract(BigInteger.ONE));
        if (offset.signum() == 0 || broadcast) {
          throw new InputException(
              "InvalidClusterIP",
              where
                  + ": clusterIP "
                  + vip
                  + " is the "
                  + (broadcast ? "broadcast" : "network")
                  + " address of service subnet "
                  + p);
        }
        return s;
      }
    }
    throw new InputException(
        "InvalidClusterIP",
        where
            + ": clusterIP "
            + vip
            + " is outside the service subnets "
            + subnets.stream().map(s -> s.prefix().toString()).toList()
            + " of network "
            + networkFq
            + "; the API server's service range and Weft's service subnets must agree");
  }

  /** The service's VIP instance IP of {@code family} already holds {@code vip} in the pool. */
  private boolean holds(ServiceInfo svc, IpFamily family, AddressPool pool, String vip) {
    return cache
        .<InstanceIp>get(ObjectType.INSTANCE_IP, ServiceObjects.vipUuid(svc, family))
        .map(Stored::object)
        .filter(ip -> ip.pool().equals(pool.id()) && ip.address().equals(vip))
        .isPresent();
  }

  /**
   * The cluster IP is reserved by {@code holder} (a work-queue key, as reservations record). When
   * the holder is a service that no longer has it (deleted or changed, and not yet reconciled), it
   * is about to be released: a wait, not a problem to report. Either way, an address released in
   * the pool re-queues this service.
   */
  private InputException unavailable(String where, AddressPool pool, String vip, String holder) {
    String[] parts = holder.split("/", 3);
    String who = ServiceFloatingIps.describeHolder(holder);
    boolean releasing =
        parts.length == 3
            && parts[0].equals("Service")
            && kube.service(parts[1], parts[2])
                .filter(s -> s.hasVip() && normalized(s).contains(vip))
                .isEmpty();
    return new InputException(
        "ClusterIPInUse",
        where
            + ": clusterIP "
            + vip
            + " is already held by "
            + who
            + (releasing ? ", which no longer has it; waiting for its release" : ""),
        "pool:" + pool.id(),
        releasing);
  }

  private static List<String> normalized(ServiceInfo s) {
    try {
      return ServiceObjects.vips(s);
    } catch (InputException e) {
      return List.of();
    }
  }

  private <T extends ConfigObject> Optional<T> find(ObjectType type, FqName fq) {
    return cache.<T>get(type, fq).map(Stored::object);
  }
}
