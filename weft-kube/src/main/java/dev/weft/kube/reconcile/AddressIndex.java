package dev.weft.kube.reconcile;

import dev.weft.model.ConfigObject;
import dev.weft.model.InstanceIp;
import dev.weft.model.LoadbalancerMember;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.Ref;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.Stored;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Instance IPs and load-balancer members by address, kept from the object cache: which interface
 * holds a service backend's address, and which services name an address whose interface changed.
 *
 * <p>A member names the interface holding its address when the service is reconciled. Endpoint
 * slices need not change when that does (an address given to a pod after the slice named it, a
 * fixed-address pod recreated, a pod deleted while its slice still lists it), so an instance IP
 * that appears, goes or moves re-queues the services with a member at its address. A pod deleted
 * that way leaves its interface until those members drop their reference, which this makes happen.
 *
 * <p>Thread-safe. Entries are only hints: lookups check each against the cache.
 */
final class AddressIndex implements ObjectCache.Listener {
  private final ObjectCache cache;
  private final Consumer<String> enqueue;
  private final Map<String, Set<UUID>> instanceIps = new ConcurrentHashMap<>();
  private final Map<String, Set<UUID>> members = new ConcurrentHashMap<>();

  AddressIndex(ObjectCache cache, Consumer<String> enqueue) {
    this.cache = cache;
    this.enqueue = enqueue;
    // Listening before reading what is there: nothing is missed, and an entry read stale here is
    // dropped by the lookups' check against the cache.
    cache.addListener(this);
    for (Stored<InstanceIp> s : cache.<InstanceIp>list(ObjectType.INSTANCE_IP)) {
      add(instanceIps, s.object().address(), s.object().uuid());
    }
    for (Stored<LoadbalancerMember> s :
        cache.<LoadbalancerMember>list(ObjectType.LOADBALANCER_MEMBER)) {
      add(members, s.object().address(), s.object().uuid());
    }
  }

  @Override
  public void onChange(ConfigObject before, ConfigObject after) {
    if (before instanceof InstanceIp || after instanceof InstanceIp) {
      InstanceIp b = (InstanceIp) before;
      InstanceIp a = (InstanceIp) after;
      if (b != null && (a == null || !a.address().equals(b.address()))) {
        remove(instanceIps, b.address(), b.uuid());
      }
      if (a != null) {
        add(instanceIps, a.address(), a.uuid());
      }
      String was = holding(b);
      String is = holding(a);
      if (!Objects.equals(was, is)) {
        Set<String> owners = new TreeSet<>();
        if (b != null) {
          owners.addAll(membersAt(b.address()));
        }
        if (a != null) {
          owners.addAll(membersAt(a.address()));
        }
        owners.forEach(enqueue);
      }
    } else if (before instanceof LoadbalancerMember || after instanceof LoadbalancerMember) {
      LoadbalancerMember b = (LoadbalancerMember) before;
      LoadbalancerMember a = (LoadbalancerMember) after;
      if (b != null && (a == null || !a.address().equals(b.address()))) {
        remove(members, b.address(), b.uuid());
      }
      if (a != null) {
        add(members, a.address(), a.uuid());
      }
    }
  }

  /** What a member at the address would name: the interfaces of a backend instance IP. */
  private static String holding(InstanceIp ip) {
    if (ip == null || ip.serviceIp() || ip.interfaces().isEmpty()) {
      return null;
    }
    return ip.address() + " " + ip.interfaces();
  }

  /** Owner keys of the members at {@code address}. */
  private Set<String> membersAt(String address) {
    Set<String> out = new TreeSet<>();
    for (UUID u : members.getOrDefault(address, Set.of())) {
      cache
          .<LoadbalancerMember>get(ObjectType.LOADBALANCER_MEMBER, u)
          .map(Stored::object)
          .filter(m -> m.address().equals(address))
          .flatMap(ConfigObject::owner)
          .ifPresent(o -> out.add(o.key()));
    }
    return out;
  }

  /** Every instance IP with {@code address}. */
  private List<InstanceIp> instanceIps(String address) {
    List<InstanceIp> out = new ArrayList<>();
    for (UUID u : instanceIps.getOrDefault(address, Set.of())) {
      cache
          .<InstanceIp>get(ObjectType.INSTANCE_IP, u)
          .map(Stored::object)
          .filter(ip -> ip.address().equals(address))
          .ifPresent(out::add);
    }
    out.sort(java.util.Comparator.comparing(InstanceIp::uuid));
    return out;
  }

  /**
   * The interface a backend at {@code address} is: the interface of the pod instance IP with that
   * address; the pod the endpoint names decides when several networks hold the address.
   *
   * @param pod {@code namespace/name} of the pod the endpoint targets, or empty
   * @return null when no interface holds the address (an endpoint outside Weft), or when several do
   *     and nothing tells them apart
   */
  Ref interfaceOf(String address, String pod) {
    List<InstanceIp> candidates =
        instanceIps(address).stream()
            .filter(ip -> !ip.serviceIp() && !ip.interfaces().isEmpty())
            .toList();
    if (candidates.isEmpty()) {
      return null;
    }
    if (!pod.isEmpty()) {
      String podKey = "Pod/" + pod;
      for (InstanceIp ip : candidates) {
        if (ip.owner().map(Owner::key).filter(podKey::equals).isPresent()) {
          return ip.interfaces().get(0);
        }
      }
    }
    if (candidates.size() == 1) {
      return candidates.get(0).interfaces().get(0);
    }
    List<InstanceIp> ofPods =
        candidates.stream()
            .filter(ip -> ip.owner().map(Owner::kind).filter("Pod"::equals).isPresent())
            .toList();
    return ofPods.size() == 1 ? ofPods.get(0).interfaces().get(0) : null;
  }

  private static void add(Map<String, Set<UUID>> index, String address, UUID uuid) {
    // Inside compute, as the removal is: an add to a set being dropped as empty would be lost.
    index.compute(
        address,
        (k, s) -> {
          Set<UUID> set = s == null ? ConcurrentHashMap.newKeySet() : s;
          set.add(uuid);
          return set;
        });
  }

  private static void remove(Map<String, Set<UUID>> index, String address, UUID uuid) {
    index.computeIfPresent(
        address,
        (k, s) -> {
          s.remove(uuid);
          return s.isEmpty() ? null : s;
        });
  }
}
