package dev.weft.kube.reconcile;

import dev.weft.kube.ClusterConfig;
import dev.weft.kube.translate.InputException;
import dev.weft.kube.translate.KubeAnnotations;
import dev.weft.kube.translate.NamespaceInfo;
import dev.weft.kube.translate.PodAddress;
import dev.weft.kube.translate.PodInfo;
import dev.weft.kube.translate.PodObjects;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpFamily;
import dev.weft.model.Names;
import dev.weft.model.ObjectType;
import dev.weft.model.Project;
import dev.weft.model.Ref;
import dev.weft.model.SecurityGroup;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.ipam.AddressPool;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.ipam.IpamException;
import dev.weft.store.ipam.Reservation;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.Stored;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Converges one pod ({@code Pod/NS/NAME}): its virtual machine, interface and addresses, and the
 * {@code network-status} annotation. An address a pod already has in its network is kept, so a
 * restart never renumbers a pod; a new one is reserved in the same transaction that creates the
 * objects using it.
 */
final class PodReconciler {
  private final ClusterConfig config;
  private final KubeView kube;
  private final java.util.function.Consumer<String> statusQueue;
  private final Converger converger;
  private final Ipam ipam;
  private final ObjectCache cache;
  private final Problems problems;
  private final Waiters waiters;

  PodReconciler(
      ClusterConfig config,
      KubeView kube,
      java.util.function.Consumer<String> statusQueue,
      Converger converger,
      Ipam ipam,
      ObjectCache cache,
      Problems problems,
      Waiters waiters) {
    this.config = config;
    this.kube = kube;
    this.statusQueue = statusQueue;
    this.converger = converger;
    this.ipam = ipam;
    this.cache = cache;
    this.problems = problems;
    this.waiters = waiters;
  }

  Converger.Outcome reconcile(String key, String namespace, String name, long generation) {
    Optional<PodInfo> found = kube.pod(namespace, name);
    if (found.isEmpty() || found.get().hostNetwork() || found.get().terminated()) {
      problems.clear(key);
      return converger.converge(key, List.of(), null);
    }
    PodInfo pod = found.get();
    if (kube.namespace(namespace).isEmpty()) {
      // Its namespace is gone (being emptied by the namespace controller) or never existed: the
      // pod cannot run, so it holds no address.
      problems.report(
          key,
          "Pod",
          namespace,
          name,
          pod.uid(),
          generation,
          new InputException(
              "NamespaceNotFound",
              "pod \""
                  + namespace
                  + "/"
                  + name
                  + "\": namespace \""
                  + namespace
                  + "\" does not exist",
              "namespace:" + namespace));
      return converger.converge(key, List.of(), null);
    }
    try {
      return place(key, pod);
    } catch (InputException e) {
      problems.report(key, "Pod", namespace, name, pod.uid(), generation, e);
      return null;
    }
  }

  private Converger.Outcome place(String key, PodInfo pod) {
    String where = "pod \"" + pod.namespace() + "/" + pod.name() + "\"";
    NamespaceInfo ns =
        kube.namespace(pod.namespace())
            .orElseThrow(
                () ->
                    new InputException(
                        "NamespaceNotFound",
                        where + ": namespace \"" + pod.namespace() + "\" does not exist",
                        "namespace:" + pod.namespace()));
    FqName networkFq = PodObjects.network(config, pod, ns);
    VirtualNetwork network =
        this.<VirtualNetwork>find(ObjectType.VIRTUAL_NETWORK, networkFq)
            .orElseThrow(
                () ->
                    new InputException(
                        "NetworkNotFound",
                        where
                            + ": network "
                            + networkFq
                            + " does not exist"
                            + (isDerived(networkFq)
                                ? " yet (namespace not reconciled)"
                                : "; create it (weft apply a VirtualNetwork) and the pod will be"
                                    + " placed"),
                        "network:" + networkFq,
                        isDerived(networkFq)));
    FqName projectFq = Names.projectFq(config.name(), pod.namespace());
    Project project =
        this.<Project>find(ObjectType.PROJECT, projectFq)
            .orElseThrow(
                () ->
                    new InputException(
                        "ProjectNotReady",
                        where + ": project " + projectFq + " does not exist yet",
                        "object:" + projectFq,
                        true));
    FqName sgFq = Names.defaultSecurityGroup(config.name(), pod.namespace());
    Ref sg =
        this.<SecurityGroup>find(ObjectType.SECURITY_GROUP, sgFq)
            .map(Ref::to)
            .orElseThrow(
                () ->
                    new InputException(
                        "ProjectNotReady",
                        where + ": security group " + sgFq + " does not exist yet",
                        "object:" + sgFq,
                        true));

    AddressPool pool = pool(network);
    List<String> fixed =
        KubeAnnotations.fixedAddresses(where, pod.annotations().get(KubeAnnotations.IP_ADDRESS));
    Set<IpFamily> families = new LinkedHashSet<>();
    pool.subnets().forEach(s -> families.add(s.prefix().family()));
    for (String f : fixed) {
      IpFamily fam = f.contains(":") ? IpFamily.V6 : IpFamily.V4;
      if (!families.contains(fam)) {
        throw new InputException(
            "AddressUnavailable",
            where
                + ": requested address "
                + f
                + " but network "
                + networkFq
                + " has no "
                + fam.wire()
                + " subnet");
      }
    }

    List<PodAddress> addresses = new ArrayList<>();
    List<Reservation> reservations = new ArrayList<>();
    boolean committed = false;
    try {
      for (IpFamily family : families) {
        String want =
            fixed.stream()
                .filter(f -> f.contains(":") == (family == IpFamily.V6))
                .findFirst()
                .orElse(null);
        PodAddress kept = keep(pod, network, pool, family, want);
        if (kept != null) {
          addresses.add(kept);
          continue;
        }
        Reservation r;
        try {
          r = ipam.reserve(pool.id(), pool.subnets(), family, want, key);
        } catch (IpamException e) {
          throw new InputException(
              want == null ? "AddressExhausted" : "AddressUnavailable",
              where + ": network " + networkFq + ": " + e.getMessage(),
              "pool:" + pool.id());
        }
        reservations.add(r);
        addresses.add(new PodAddress(r.address(), r.subnet(), r.pool()));
      }
      List<ConfigObject> desired =
          PodObjects.desired(config, pod, network, Ref.to(project), sg, addresses);
      Converger.Outcome outcome =
          converger.converge(
              key,
              desired,
              txn -> {
                for (Reservation r : reservations) {
                  txn.guard(r.guard()).write(r.put());
                }
              });
      committed = true;
      problems.clear(key);
      statusQueue.accept(key);
      return outcome;
    } finally {
      for (Reservation r : reservations) {
        ipam.settle(r, committed);
      }
    }
  }

  /** The pod's current address of {@code family}, when it still fits what is wanted. */
  private PodAddress keep(
      PodInfo pod, VirtualNetwork network, AddressPool pool, IpFamily family, String want) {
    Optional<Stored<InstanceIp>> current =
        cache.get(ObjectType.INSTANCE_IP, PodObjects.instanceIpUuid(pod, family));
    if (current.isEmpty()) {
      return null;
    }
    InstanceIp ip = current.get().object();
    if (!ip.virtualNetwork().uuid().equals(network.uuid()) || !ip.pool().equals(pool.id())) {
      return null;
    }
    if (want != null && !want.equals(ip.address())) {
      return null;
    }
    return pool.subnets().stream()
        .filter(s -> s.prefix().equals(ip.subnet()) && s.prefix().contains(ip.address()))
        .findFirst()
        .map(s -> new PodAddress(ip.address(), s, ip.pool()))
        .orElse(null);
  }

  private AddressPool pool(VirtualNetwork network) {
    IpamReadiness.require(network, cache);
    return AddressPool.of(network, cache)
        .orElseThrow(
            () ->
                new InputException(
                    "NetworkHasNoSubnet",
                    "network " + network.fqName() + " has no subnet to allocate pod addresses from",
                    "network:" + network.fqName()));
  }

  private boolean isDerived(FqName fq) {
    return fq.name().endsWith("-pod-network") && fq.name().startsWith(config.name() + "-");
  }

  private <T extends ConfigObject> Optional<T> find(ObjectType type, FqName fq) {
    return cache.<T>get(type, fq).map(Stored::object);
  }

  Waiters waiters() {
    return waiters;
  }
}
