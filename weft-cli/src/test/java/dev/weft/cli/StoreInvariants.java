package dev.weft.cli;

import dev.weft.model.ConfigObject;
import dev.weft.model.FloatingIp;
import dev.weft.model.InstanceIp;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.Ref;
import dev.weft.store.ConfigStore;
import dev.weft.store.KeyValue;
import dev.weft.store.ipam.FloatingIpAddresses;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.Stored;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What must hold between Kubernetes and the store once Weft has converged, whatever crashes came
 * before: no address held twice, every reservation held by an object and every address reserved,
 * nothing owned by a Kubernetes object that is gone (or was replaced: same name, other UID), no
 * reference to a missing object, and every pod, service, namespace and NetworkPolicy with its
 * objects.
 */
final class StoreInvariants {
  /** The outcome: violations by kind, and what was looked at. */
  record Report(Map<String, List<String>> violations, Map<String, Integer> counts) {
    int violationCount() {
      return violations.values().stream().mapToInt(List::size).sum();
    }

    String describe() {
      StringBuilder sb = new StringBuilder();
      violations.forEach(
          (kind, list) -> {
            sb.append(kind).append(": ").append(list.size()).append('\n');
            list.stream().limit(10).forEach(v -> sb.append("  ").append(v).append('\n'));
          });
      return sb.toString();
    }
  }

  /** A pod's address as the store has it. */
  record PodAddress(String pod, String network, String address) {}

  /** The kind of violation that may take a moment after convergence (kubelet status). */
  static final String POD_ADDRESS = "pod address disagrees";

  private StoreInvariants() {}

  /** Every pod's addresses in the store, by pod UID. */
  static Map<String, List<PodAddress>> podAddresses(ConfigStore kv) {
    try (ObjectStore objects = new ObjectStore(kv)) {
      Map<String, List<PodAddress>> out = new HashMap<>();
      for (Stored<InstanceIp> s : objects.cache().<InstanceIp>list(ObjectType.INSTANCE_IP)) {
        InstanceIp ip = s.object();
        ip.owner()
            .filter(o -> o.kind().equals("Pod"))
            .ifPresent(
                o ->
                    out.computeIfAbsent(o.k8sUid(), u -> new ArrayList<>())
                        .add(
                            new PodAddress(
                                o.namespace() + "/" + o.name(),
                                ip.virtualNetwork().to().toString(),
                                ip.address())));
      }
      return out;
    }
  }

  static Report check(KubernetesClient client, ConfigStore kv, String cluster) {
    Map<String, List<String>> v = new TreeMap<>();
    Map<String, Integer> counts = new TreeMap<>();
    Map<String, String> uids = new HashMap<>();
    Set<String> namespaces = new HashSet<>();
    client
        .namespaces()
        .list()
        .getItems()
        .forEach(
            n -> {
              uids.put("Namespace/" + n.getMetadata().getName(), n.getMetadata().getUid());
              namespaces.add(n.getMetadata().getName());
            });
    client
        .nodes()
        .list()
        .getItems()
        .forEach(n -> uids.put(key("Node", n), n.getMetadata().getUid()));
    var pods = client.pods().inAnyNamespace().list().getItems();
    pods.forEach(p -> uids.put(key("Pod", p), p.getMetadata().getUid()));
    var services = client.services().inAnyNamespace().list().getItems();
    services.forEach(s -> uids.put(key("Service", s), s.getMetadata().getUid()));
    var policies = client.network().v1().networkPolicies().inAnyNamespace().list().getItems();
    policies.forEach(p -> uids.put(key("NetworkPolicy", p), p.getMetadata().getUid()));
    counts.put("kubernetes pods", pods.size());
    counts.put("kubernetes services", services.size());
    counts.put("kubernetes namespaces", namespaces.size());
    counts.put("kubernetes network policies", policies.size());

    try (ObjectStore objects = new ObjectStore(kv)) {
      ObjectCache cache = objects.cache();
      List<ConfigObject> all = new ArrayList<>();
      for (ObjectType t : ObjectType.values()) {
        cache.<ConfigObject>list(t).forEach(s -> all.add(s.object()));
      }
      counts.put("store objects", all.size());

      // Addresses: one holder each, and reserved exactly when held.
      Map<String, List<String>> holders = new TreeMap<>();
      for (ConfigObject o : all) {
        if (o instanceof InstanceIp ip) {
          holders
              .computeIfAbsent(Ipam.key(ip.pool(), ip.address()), k -> new ArrayList<>())
              .add("instance-ip " + ip.fqName());
        } else if (o instanceof FloatingIp fip) {
          String pool = FloatingIpAddresses.reservationPool(fip, cache).orElse("?no-pool");
          holders
              .computeIfAbsent(Ipam.key(pool, fip.address()), k -> new ArrayList<>())
              .add("floating-ip " + fip.fqName());
        }
      }
      counts.put("addresses in use", holders.size());
      holders.forEach(
          (k, h) -> {
            if (h.size() > 1) {
              add(v, "duplicate address", k + " held by " + h);
            }
          });
      Set<String> reserved = new TreeSet<>();
      for (KeyValue r : kv.range(Ipam.PREFIX).kvs()) {
        reserved.add(r.key());
      }
      counts.put("ipam reservations", reserved.size());
      for (String r : reserved) {
        if (!holders.containsKey(r)) {
          add(v, "leaked reservation", r);
        }
      }
      for (String h : holders.keySet()) {
        if (!reserved.contains(h)) {
          add(v, "unreserved address", h + " held by " + holders.get(h));
        }
      }

      // Owners: alive in Kubernetes, the same object (UID), this cluster.
      Map<String, Map<ObjectType, Integer>> owned = new HashMap<>();
      for (ConfigObject o : all) {
        Owner owner = o.owner().orElse(null);
        if (owner == null) {
          continue;
        }
        String what = o.type().singular() + " " + o.fqName() + " owned by " + owner.key();
        if (!owner.cluster().equals(cluster)) {
          add(v, "orphan", what + " of cluster " + owner.cluster());
          continue;
        }
        if (owner.kind().equals("Cluster")) {
          continue;
        }
        String uid = uids.get(owner.key());
        if (uid == null) {
          add(v, "orphan", what + ": gone from Kubernetes");
        } else if (!owner.k8sUid().isEmpty() && !owner.k8sUid().equals(uid)) {
          add(v, "orphan", what + ": UID " + owner.k8sUid() + ", Kubernetes has " + uid);
        } else {
          owned.computeIfAbsent(owner.key(), k -> new HashMap<>()).merge(o.type(), 1, Integer::sum);
        }
      }

      // References: none to a missing object.
      for (ConfigObject o : all) {
        List<Ref> refs = new ArrayList<>(o.refs());
        if (o.parent() != null) {
          refs.add(o.parent());
        }
        for (Ref r : refs) {
          if (cache.get(r.uuid()).isEmpty()) {
            add(
                v,
                "dangling reference",
                o.type().singular()
                    + " "
                    + o.fqName()
                    + " -> "
                    + r.type().singular()
                    + " "
                    + r.to());
          }
        }
      }

      // Every Kubernetes object with its objects.
      for (var p : pods) {
        if (!namespaces.contains(p.getMetadata().getNamespace())
            || Boolean.TRUE.equals(p.getSpec().getHostNetwork())) {
          continue;
        }
        require(
            v,
            owned,
            key("Pod", p),
            ObjectType.VIRTUAL_MACHINE,
            ObjectType.VIRTUAL_MACHINE_INTERFACE,
            ObjectType.INSTANCE_IP);
      }
      for (var s : services) {
        String ip = s.getSpec().getClusterIP();
        if (!namespaces.contains(s.getMetadata().getNamespace())
            || ip == null
            || ip.isEmpty()
            || ip.equals("None")) {
          continue;
        }
        if ("LoadBalancer".equals(s.getSpec().getType())) {
          require(v, owned, key("Service", s), ObjectType.LOADBALANCER, ObjectType.FLOATING_IP);
        } else {
          require(v, owned, key("Service", s), ObjectType.LOADBALANCER, ObjectType.INSTANCE_IP);
        }
      }
      // Kubernetes shows the addresses Weft holds (the kubelet takes them from network-status).
      Map<String, Set<String>> podIps = new HashMap<>();
      for (Stored<InstanceIp> s : cache.<InstanceIp>list(ObjectType.INSTANCE_IP)) {
        s.object()
            .owner()
            .filter(o -> o.kind().equals("Pod"))
            .ifPresent(
                o ->
                    podIps
                        .computeIfAbsent(o.key(), k -> new TreeSet<>())
                        .add(s.object().address()));
      }
      for (var p : pods) {
        if (p.getStatus() == null || p.getStatus().getPodIPs() == null) {
          continue;
        }
        Set<String> shown = new TreeSet<>();
        p.getStatus().getPodIPs().forEach(ip -> shown.add(ip.getIp()));
        Set<String> held = podIps.getOrDefault(key("Pod", p), Set.of());
        if (!shown.isEmpty() && !shown.equals(held)) {
          add(
              v,
              POD_ADDRESS,
              key("Pod", p) + ": Kubernetes shows " + shown + ", Weft holds " + held);
        }
      }
      for (String ns : namespaces) {
        if (ns.startsWith("rel-")) {
          require(v, owned, "Namespace/" + ns, ObjectType.PROJECT);
        }
      }
      for (var np : policies) {
        if (namespaces.contains(np.getMetadata().getNamespace())) {
          require(v, owned, key("NetworkPolicy", np), ObjectType.FIREWALL_POLICY);
        }
      }
    }
    return new Report(v, counts);
  }

  private static void require(
      Map<String, List<String>> v,
      Map<String, Map<ObjectType, Integer>> owned,
      String key,
      ObjectType... types) {
    Map<ObjectType, Integer> has = owned.getOrDefault(key, Map.of());
    for (ObjectType t : types) {
      if (has.getOrDefault(t, 0) == 0) {
        add(v, "missing object", key + " has no " + t.singular());
      }
    }
  }

  private static String key(String kind, HasMetadata o) {
    String ns = o.getMetadata().getNamespace();
    return ns == null || ns.isEmpty()
        ? kind + "/" + o.getMetadata().getName()
        : kind + "/" + ns + "/" + o.getMetadata().getName();
  }

  private static void add(Map<String, List<String>> v, String kind, String what) {
    v.computeIfAbsent(kind, k -> new ArrayList<>()).add(what);
  }
}
