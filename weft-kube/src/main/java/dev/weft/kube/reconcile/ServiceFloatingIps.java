package dev.weft.kube.reconcile;

import dev.weft.kube.ClusterConfig;
import dev.weft.kube.translate.InputException;
import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.NamespaceSettings;
import dev.weft.kube.translate.ServiceInfo;
import dev.weft.kube.translate.Uuids;
import dev.weft.model.FloatingIp;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.FqName;
import dev.weft.model.IpFamily;
import dev.weft.model.IpPrefix;
import dev.weft.model.Names;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.Ref;
import dev.weft.store.Compare;
import dev.weft.store.ConfigStore;
import dev.weft.store.KeyValue;
import dev.weft.store.Operation;
import dev.weft.store.ipam.FloatingIpAddresses;
import dev.weft.store.ipam.FloatingIpException;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.ipam.Reservation;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.Stored;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The floating IPs a service is reached at from outside the cluster: one for a {@code LoadBalancer}
 * service (its {@code spec.loadBalancerIP} when given, else one the pool picks), one per {@code
 * spec.externalIPs} entry. All come from one pool, chosen most specific first: the service's {@code
 * opencontrail.org/fip-pool} annotation, its namespace's, the global pool of Weft's configuration.
 *
 * <p>Addresses are reserved in the pool network's reservation pool (where its pods' addresses are
 * too) in the transaction that creates the floating IPs, with the service's work-queue key as the
 * holder. An address the service already holds stays (a restart or an unrelated change never moves
 * a LoadBalancer's address); one held by the same key for a floating IP that is going (the service
 * recreated under a new UID, or moved to another pool of the same network) passes on in the same
 * transaction, as a service's cluster IP does.
 */
final class ServiceFloatingIps {
  /** Annotation on a service's floating IP: what it is for ({@value #FOR_LOADBALANCER} or ...). */
  static final String PURPOSE = "weft.dev/service-address";

  static final String FOR_LOADBALANCER = "loadBalancer";
  static final String FOR_EXTERNAL_IP = "externalIP";

  private final ClusterConfig config;
  private final ConfigStore kv;
  private final ObjectCache cache;
  private final FloatingIpAddresses addresses;

  ServiceFloatingIps(ClusterConfig config, ConfigStore kv, ObjectCache cache, Ipam ipam) {
    this.config = config;
    this.kv = kv;
    this.cache = cache;
    this.addresses = ipam == null ? null : new FloatingIpAddresses(cache, ipam);
  }

  /**
   * What to add to the service's transaction: the floating IPs, and the reservations (guards and
   * writes) for the addresses not yet held. Call {@link #settle} once it committed or failed.
   */
  record Plan(
      List<FloatingIp> floatingIps,
      List<Compare> guards,
      List<Operation> writes,
      List<Reservation> reservations) {
    static final Plan NONE = new Plan(List.of(), List.of(), List.of(), List.of());
  }

  /** One address the service wants: what for, and the address asked for (null: any). */
  private record Want(String purpose, String requested, String field) {}

  /**
   * The floating IPs {@code svc} should have, fronting load balancer {@code lb}.
   *
   * @throws InputException when the service wants an address from outside and cannot have all of
   *     them (no pool, a pool that does not exist, an address outside the pool or held by another,
   *     an exhausted pool); nothing is reserved then
   */
  Plan plan(ServiceInfo svc, NamespaceInfo ns, Ref lb, String key) {
    String where = "service \"" + svc.namespace() + "/" + svc.name() + "\"";
    List<Want> wants = wants(svc, where);
    if (wants.isEmpty()) {
      return Plan.NONE;
    }
    FloatingIpPool pool = pool(svc, ns, where, wants);
    if (addresses == null) {
      throw new InputException(
          "NoIpam", where + ": this kube-manager has no IPAM to reserve floating IPs with");
    }
    String reservationPool;
    try {
      reservationPool = addresses.reservations(pool).id();
    } catch (FloatingIpException e) {
      throw new InputException(
          "FloatingIpPoolUnusable",
          where + ": floating-IP pool " + pool.fqName() + ": " + e.getMessage(),
          "object:" + pool.fqName());
    }
    IpFamily preferred =
        svc.clusterIps().isEmpty()
            ? null
            : (svc.clusterIps().get(0).indexOf(':') >= 0 ? IpFamily.V6 : IpFamily.V4);
    Map<String, String> own =
        new Owner(config.name(), "Service", svc.namespace(), svc.name(), svc.uid()).annotations();
    List<FloatingIp> out = new ArrayList<>();
    List<Compare> guards = new ArrayList<>();
    List<Operation> writes = new ArrayList<>();
    List<Reservation> reservations = new ArrayList<>();
    boolean done = false;
    try {
      for (Want w : wants) {
        UUID uuid = uuid(svc, pool, w);
        Optional<FloatingIp> current =
            cache.<FloatingIp>get(ObjectType.FLOATING_IP, uuid).map(Stored::object);
        String address;
        if (current.isPresent()
            && (w.requested() == null || w.requested().equals(current.get().address()))
            && addresses.inside(pool, current.get().address())) {
          address = current.get().address(); // held already: stays
        } else if (w.requested() != null) {
          address = w.requested();
          claim(where, pool, reservationPool, w, key, guards, writes);
        } else {
          Reservation r;
          try {
            r = addresses.reserve(pool, null, preferred, key);
          } catch (FloatingIpException e) {
            throw new InputException(
                "FloatingIpPoolExhausted",
                where + ": no floating IP for type LoadBalancer: " + e.getMessage(),
                "pool:" + reservationPool);
          }
          reservations.add(r);
          guards.add(r.guard());
          writes.add(r.put());
          address = r.address();
        }
        Map<String, String> annotations = new LinkedHashMap<>(own);
        annotations.put(PURPOSE, w.purpose());
        FqName fq =
            w.purpose().equals(FOR_LOADBALANCER)
                ? Names.serviceFloatingIp(pool.fqName(), config.name(), svc.namespace(), svc.name())
                : Names.serviceExternalIp(
                    pool.fqName(), config.name(), svc.namespace(), svc.name(), address);
        out.add(new FloatingIp(uuid, fq, Ref.to(pool), annotations, address, List.of(), null, lb));
      }
      done = true;
      return new Plan(out, guards, writes, reservations);
    } finally {
      if (!done) {
        reservations.forEach(r -> addresses.settle(r, false));
      }
    }
  }

  /** Ends the plan's reservations once its transaction committed or failed. */
  void settle(Plan plan, boolean committed) {
    plan.reservations().forEach(r -> addresses.settle(r, committed));
  }

  /**
   * Reserves a requested address for {@code key}: absent, or already held by this key (a floating
   * IP of it that is going passes it on), else it is someone else's.
   */
  private void claim(
      String where,
      FloatingIpPool pool,
      String reservationPool,
      Want w,
      String key,
      List<Compare> guards,
      List<Operation> writes) {
    if (!addresses.inside(pool, w.requested())) {
      boolean lb = w.purpose().equals(FOR_LOADBALANCER);
      throw new InputException(
          lb ? "LoadBalancerIPOutsidePool" : "ExternalIPOutsidePool",
          where
              + ": "
              + w.field()
              + " "
              + w.requested()
              + " is not an address floating-IP pool "
              + pool.fqName()
              + " can give (its range is "
              + addresses.range(pool).stream().map(IpPrefix::toString).toList()
              + ", less each subnet's network, gateway and broadcast addresses)",
          "object:" + pool.fqName());
    }
    String reservation = Ipam.key(reservationPool, w.requested());
    Optional<KeyValue> held = kv.get(reservation);
    if (held.isEmpty()) {
      guards.add(Compare.absent(reservation));
    } else if (held.get().valueAsString().equals(key)) {
      guards.add(Compare.modRevision(reservation, held.get().modRevision()));
    } else {
      throw new InputException(
          w.purpose().equals(FOR_LOADBALANCER) ? "LoadBalancerIPInUse" : "ExternalIPInUse",
          where
              + ": "
              + w.field()
              + " "
              + w.requested()
              + " is already in use in network "
              + pool.parent().to()
              + " (held by "
              + describeHolder(held.get().valueAsString())
              + ")",
          "pool:" + reservationPool);
    }
    writes.add(
        new Operation.Put(reservation, key.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
  }

  /** A reservation's holder (a work-queue key) as a person reads it. */
  static String describeHolder(String holder) {
    String[] parts = holder.split("/", 3);
    if (parts.length == 3 && (parts[0].equals("Service") || parts[0].equals("Pod"))) {
      return "Kubernetes " + parts[0] + " \"" + parts[1] + "/" + parts[2] + "\"";
    }
    return "\"" + holder + "\"";
  }

  /** The addresses the service wants from outside, LoadBalancer first, then each external IP. */
  private static List<Want> wants(ServiceInfo svc, String where) {
    List<Want> out = new ArrayList<>();
    if (svc.isLoadBalancer()) {
      String requested = null;
      if (svc.loadBalancerIp() != null) {
        requested =
            address(where, "spec.loadBalancerIP", svc.loadBalancerIp(), "InvalidLoadBalancerIP");
      }
      out.add(new Want(FOR_LOADBALANCER, requested, "spec.loadBalancerIP"));
    }
    Map<String, Boolean> seen = new HashMap<>();
    for (String ip : svc.externalIps()) {
      String a = address(where, "spec.externalIPs", ip, "InvalidExternalIP");
      if (seen.put(a, true) == null) {
        out.add(new Want(FOR_EXTERNAL_IP, a, "spec.externalIPs entry"));
      }
    }
    return out;
  }

  private static String address(String where, String field, String text, String reason) {
    try {
      return IpPrefix.canonicalAddress(text.trim());
    } catch (IllegalArgumentException e) {
      throw new InputException(
          reason, where + ": " + field + " \"" + text + "\" is not an IP address");
    }
  }

  /**
   * The pool, most specific first: the service's annotation, its namespace's, the global one.
   *
   * @throws InputException naming where the choice came from when there is none or it is missing
   */
  private FloatingIpPool pool(ServiceInfo svc, NamespaceInfo ns, String where, List<Want> wants) {
    FqName fq;
    String from;
    String annotation = svc.annotations().get(KubeAnnotations.FIP_POOL);
    if (annotation != null) {
      fq = KubeAnnotations.fipPool(where, KubeAnnotations.FIP_POOL, annotation);
      from = "the service's annotation " + KubeAnnotations.FIP_POOL;
    } else {
      NamespaceSettings settings = NamespaceSettings.of(ns);
      if (settings.fipPool() != null) {
        fq = settings.fipPool();
        from = "namespace \"" + ns.name() + "\"'s annotation " + KubeAnnotations.FIP_POOL;
      } else if (config.publicFipPool() != null) {
        fq = config.publicFipPool();
        from = "Weft's global pool (--public-fip-pool)";
      } else {
        throw new InputException(
            "NoFloatingIpPool",
            where
                + ": "
                + needs(wants)
                + " needs a floating IP, and no floating-IP pool is named: annotate the service"
                + " or its namespace with "
                + KubeAnnotations.FIP_POOL
                + ", or start Weft with --public-fip-pool DOMAIN:PROJECT:NETWORK:POOL");
      }
    }
    FqName poolFq = fq;
    return cache
        .<FloatingIpPool>get(ObjectType.FLOATING_IP_POOL, poolFq)
        .map(Stored::object)
        .orElseThrow(
            () ->
                new InputException(
                    "FloatingIpPoolNotFound",
                    where + ": floating-IP pool " + poolFq + " (from " + from + ") does not exist",
                    "object:" + poolFq));
  }

  private static String needs(List<Want> wants) {
    boolean lb = wants.stream().anyMatch(w -> w.purpose().equals(FOR_LOADBALANCER));
    return lb ? "type LoadBalancer" : "spec.externalIPs";
  }

  /**
   * A floating IP's UUID follows from the service UID, the pool and what it is for: a service moved
   * to another pool gets new floating IPs (the old ones go in the same transaction).
   */
  static UUID uuid(ServiceInfo svc, FloatingIpPool pool, Want w) {
    return w.purpose().equals(FOR_LOADBALANCER)
        ? Uuids.of("floating-ip", svc.uid(), pool.uuid().toString(), FOR_LOADBALANCER)
        : Uuids.of(
            "floating-ip", svc.uid(), pool.uuid().toString(), FOR_EXTERNAL_IP, w.requested());
  }

  /** The floating IPs the service has now (kept as they are when a new plan cannot be made). */
  List<FloatingIp> current(String key, UUID lb) {
    return current(cache, key, lb);
  }

  /** The floating IPs owned by {@code key} that front load balancer {@code lb}. */
  static List<FloatingIp> current(ObjectCache cache, String key, UUID lb) {
    List<FloatingIp> out = new ArrayList<>();
    for (Stored<dev.weft.model.ConfigObject> s : cache.ownedBy(key)) {
      if (s.object() instanceof FloatingIp f
          && f.loadbalancer() != null
          && f.loadbalancer().uuid().equals(lb)) {
        out.add(f);
      }
    }
    return out;
  }
}
