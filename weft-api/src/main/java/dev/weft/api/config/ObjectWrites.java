package dev.weft.api.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.weft.model.ConfigObject;
import dev.weft.model.FloatingIp;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.PolicyLink;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.ipam.Ipam;
import dev.weft.store.ipam.Reservation;
import dev.weft.store.objects.ConflictException;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.ObjectTxn;
import dev.weft.store.objects.Stored;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Create, replace and delete of user objects through the config API, each one guarded transaction:
 * creates by "UUID and FQ name free", replaces and deletes by the revision the object was read at,
 * so concurrent writers get 409 instead of overwriting each other.
 *
 * <p>Objects Weft derives from Kubernetes are read-only here (409 naming the Kubernetes object),
 * except for the links of a derived virtual network to users' own network policies, which users may
 * change (joining their networks to the pod network) and the kube-manager keeps; types users never
 * write answer 405.
 */
public final class ObjectWrites {
  private static final String UNSPECIFIED = "0.0.0.0";

  private final ObjectStore store;
  private final ObjectCache cache;
  private final ObjectViews views;
  private final ObjectBodies bodies;
  private final ObjectRules rules;
  private final FloatingIpAddresses addresses;
  private final PolicyLinks links;

  /**
   * @param ipam reserves floating-IP addresses; null makes floating-IP creation and re-addressing
   *     answer 501
   */
  public ObjectWrites(ObjectStore store, Ipam ipam) {
    this.store = store;
    this.cache = store.cache();
    this.views = new ObjectViews(store);
    this.bodies = new ObjectBodies(store);
    this.rules = new ObjectRules(store);
    this.addresses = ipam == null ? null : new FloatingIpAddresses(cache, ipam);
    this.links = new PolicyLinks(cache);
  }

  public ObjectRules rules() {
    return rules;
  }

  /** Creates an object from a body {@code {"virtual-network": {...}}}; returns it as stored. */
  public Stored<ConfigObject> create(ObjectType type, JsonNode body) {
    requireCreatable(type);
    ObjectNode fields = ObjectBodies.unwrap(type, body);
    boolean pickAddress = type == ObjectType.FLOATING_IP && !fields.hasNonNull("address");
    if (pickAddress) {
      fields.put("address", UNSPECIFIED); // replaced by the reserved address below
    }
    ConfigObject candidate = bodies.forCreate(type, fields);
    cache
        .get(candidate.uuid())
        .ifPresent(
            s -> {
              throw ApiException.conflict(
                  "uuid "
                      + candidate.uuid()
                      + " is already used by the "
                      + Nouns.describe(s.object()));
            });
    requireNameFree(candidate);
    if (candidate instanceof FloatingIp fip) {
      return createFloatingIp(fip, pickAddress);
    }
    rules.validate(candidate, null, List.of());
    commit(guardPolicies(store.begin().create(candidate), candidate), candidate);
    return current(candidate);
  }

  private Stored<ConfigObject> createFloatingIp(FloatingIp fip, boolean pickAddress) {
    FloatingIpAddresses ips = requireAddresses();
    Optional<FloatingIpPool> pool =
        cache
            .<FloatingIpPool>get(ObjectType.FLOATING_IP_POOL, fip.parent().uuid())
            .map(Stored::object);
    if (pool.isEmpty() || !pickAddress) {
      rules.validate(fip, null, List.of()); // reports a bad parent or an address outside the pool
    }
    Reservation r =
        ips.reserve(pool.orElseThrow(), pickAddress ? null : fip.address(), holder(fip));
    boolean committed = false;
    try {
      FloatingIp reserved = withAddress(fip, r.address());
      rules.validate(reserved, null, List.of());
      commit(store.begin().create(reserved).guard(r.guard()).write(r.put()), reserved);
      committed = true;
      return current(reserved);
    } finally {
      ips.settle(r, committed);
    }
  }

  private Stored<ConfigObject> readdressFloatingIp(
      Stored<ConfigObject> existing, FloatingIp previous, FloatingIp next) {
    FloatingIpAddresses ips = requireAddresses();
    FloatingIpPool pool =
        cache
            .<FloatingIpPool>get(ObjectType.FLOATING_IP_POOL, next.parent().uuid())
            .map(Stored::object)
            .orElseThrow();
    Reservation r = ips.reserve(pool, next.address(), holder(next));
    boolean committed = false;
    try {
      ObjectTxn txn = store.begin().update(existing, next).guard(r.guard()).write(r.put());
      ips.release(previous).ifPresent(txn::write);
      commit(txn, next);
      committed = true;
      return current(next);
    } finally {
      ips.settle(r, committed);
    }
  }

  private static String holder(FloatingIp fip) {
    return "floating-ip/" + fip.uuid();
  }

  private static FloatingIp withAddress(FloatingIp f, String address) {
    return new FloatingIp(
        f.uuid(),
        f.fqName(),
        f.parent(),
        f.annotations(),
        address,
        f.interfaces(),
        f.fixedIpAddress(),
        f.loadbalancer());
  }

  private FloatingIpAddresses requireAddresses() {
    if (addresses == null) {
      throw ApiException.notImplemented(
          "this server has no IPAM attached, so it cannot reserve floating-IP addresses");
    }
    return addresses;
  }

  /**
   * Replaces the object {@code uuid} with the body's; its type, UUID and FQ name stay. On a network
   * Weft derives from Kubernetes only the links to users' own policies may change.
   *
   * @param ifMatch the revision the caller read (ETag); empty to replace whatever is current
   */
  public Stored<ConfigObject> replace(
      ObjectType type, UUID uuid, JsonNode body, OptionalLong ifMatch) {
    Stored<ConfigObject> existing = views.require(type, uuid);
    boolean derivedNetwork =
        existing.object() instanceof VirtualNetwork && existing.object().owner().isPresent();
    if (!derivedNetwork) {
      requireWritable(existing.object());
    }
    requireRevision(existing, ifMatch);
    ConfigObject candidate =
        bodies.forReplace(type, existing.object(), ObjectBodies.unwrap(type, body));
    if (derivedNetwork) {
      VirtualNetwork previous = (VirtualNetwork) existing.object();
      VirtualNetwork next = userLinksOnly(previous, (VirtualNetwork) candidate);
      // The owner annotation is reserved for Weft, and here it is Weft's own, unchanged: validate
      // the links (they resolve, none twice) as on any network, without it.
      rules.validate(unowned(next), unowned(previous), List.of());
      candidate = next;
    } else {
      rules.validate(candidate, existing.object(), List.of());
    }
    if (candidate.equals(existing.object())) {
      return existing;
    }
    if (candidate instanceof FloatingIp next
        && existing.object() instanceof FloatingIp previous
        && !next.address().equals(previous.address())) {
      return readdressFloatingIp(existing, previous, next);
    }
    commit(guardPolicies(store.begin().update(existing, candidate), candidate), candidate);
    return current(candidate);
  }

  /**
   * The one change users may make to a network Weft derives from Kubernetes: its links to their own
   * network policies. Anything else, links to derived policies included, stays the kube-manager's
   * (409). Returns {@code candidate} with the derived links first, in their stored order, then the
   * user's in the order given: the order the kube-manager writes them in, so it has nothing to
   * rewrite.
   */
  private VirtualNetwork userLinksOnly(VirtualNetwork existing, VirtualNetwork candidate) {
    List<PolicyLink> derivedBefore = derivedLinks(existing, true);
    List<PolicyLink> derivedAfter = derivedLinks(candidate, true);
    List<String> changed = new ArrayList<>();
    if (!Objects.equals(existing.parent(), candidate.parent())) {
      changed.add("parent");
    }
    if (!existing.annotations().equals(candidate.annotations())) {
      changed.add("annotations");
    }
    if (!existing.networkIpamRefs().equals(candidate.networkIpamRefs())) {
      changed.add("network_ipam_refs");
    }
    if (!existing.routeTargets().equals(candidate.routeTargets())) {
      changed.add("route_targets");
    }
    if (!derivedBefore.equals(derivedAfter)) {
      Set<String> policies = new TreeSet<>();
      for (PolicyLink l : derivedBefore) {
        if (!derivedAfter.contains(l)) {
          policies.add(l.policy().to().toString());
        }
      }
      for (PolicyLink l : derivedAfter) {
        if (!derivedBefore.contains(l)) {
          policies.add(l.policy().to().toString());
        }
      }
      changed.add(
          "its links to network policies Weft derives ("
              + (policies.isEmpty() ? "their order" : String.join(", ", policies))
              + ")");
    }
    if (!changed.isEmpty()) {
      Owner owner = existing.owner().orElseThrow();
      boolean linksChanged = !existing.networkPolicyRefs().equals(candidate.networkPolicyRefs());
      // Without a change to the links the caller was not trying to attach a policy: keep the
      // plain message every other derived object gives.
      throw ApiException.conflict(
          managed(existing, owner)
              + (linksChanged
                  ? "; only its links to your own network policies (network_policy_refs) can"
                      + " change here, but this request also changes "
                      + String.join(", ", changed)
                  : ""));
    }
    List<PolicyLink> ordered = new ArrayList<>(derivedBefore);
    ordered.addAll(derivedLinks(candidate, false));
    return existing.withPolicies(ordered);
  }

  /**
   * A network's policy links are validated against the cache; guarding on the policies' revisions
   * keeps a policy deleted meanwhile (weft delete unlinks, then deletes) from being linked after.
   */
  private ObjectTxn guardPolicies(ObjectTxn txn, ConfigObject candidate) {
    return candidate instanceof VirtualNetwork vn
        ? links.guardPolicies(txn, vn.networkPolicyRefs())
        : txn;
  }

  private List<PolicyLink> derivedLinks(VirtualNetwork vn, boolean derived) {
    return vn.networkPolicyRefs().stream()
        .filter(l -> links.isDerived(l.policy().uuid()) == derived)
        .toList();
  }

  private static VirtualNetwork unowned(VirtualNetwork vn) {
    Map<String, String> annotations = new HashMap<>(vn.annotations());
    annotations.remove(Owner.OWNER);
    return new VirtualNetwork(
        vn.uuid(),
        vn.fqName(),
        vn.parent(),
        annotations,
        vn.networkIpamRefs(),
        vn.routeTargets(),
        vn.networkPolicyRefs());
  }

  /** Deletes the object {@code uuid} when nothing refers to it and it has no children. */
  public ConfigObject delete(ObjectType type, UUID uuid, OptionalLong ifMatch) {
    Stored<ConfigObject> existing = views.require(type, uuid);
    requireWritable(existing.object());
    requireRevision(existing, ifMatch);
    requireUnused(existing.object());
    ObjectTxn txn = store.begin().delete(existing);
    if (existing.object() instanceof FloatingIp fip && addresses != null) {
      addresses.release(fip).ifPresent(txn::write);
    }
    commit(txn, existing.object());
    return existing.object();
  }

  /** 405 unless users may create objects of {@code type}. */
  public static void requireCreatable(ObjectType type) {
    if (!type.userCreatable()) {
      throw ApiException.methodNotAllowed(
          Nouns.plural(type)
              + " are created by Weft from Kubernetes objects; users create only "
              + userTypes());
    }
  }

  private static String userTypes() {
    List<String> names =
        Arrays.stream(ObjectType.values())
            .filter(ObjectType::userCreatable)
            .map(t -> Nouns.plural(t))
            .toList();
    return String.join(", ", names.subList(0, names.size() - 1))
        + " and "
        + names.get(names.size() - 1);
  }

  /** 409 for objects derived from Kubernetes, 405 for other objects users never write. */
  public static void requireWritable(ConfigObject existing) {
    Owner owner = existing.owner().orElse(null);
    if (owner != null) {
      throw ApiException.conflict(managed(existing, owner));
    }
    requireCreatable(existing.type());
  }

  private static String managed(ConfigObject existing, Owner owner) {
    return Nouns.describe(existing)
        + " is managed by Weft from "
        + Nouns.kubernetes(owner)
        + "; change the Kubernetes object instead";
  }

  /** 409 while the FQ name is taken. */
  private void requireNameFree(ConfigObject candidate) {
    cache
        .<ConfigObject>get(candidate.type(), candidate.fqName())
        .ifPresent(
            s -> {
              throw ApiException.conflict(
                  Nouns.describe(candidate)
                      + " already exists (uuid "
                      + s.object().uuid()
                      + "); change it with PUT /"
                      + candidate.type().singular()
                      + "/"
                      + s.object().uuid());
            });
  }

  /** 409 while other objects refer to {@code existing} or it has children. */
  public void requireUnused(ConfigObject existing) {
    requireUnused(existing, Set.of());
  }

  /**
   * 409 while objects other than {@code released} refer to {@code existing} or it has children.
   *
   * @param released referrers that drop their references in the same transaction as the deletion
   */
  public void requireUnused(ConfigObject existing, Set<UUID> released) {
    List<String> reasons = new ArrayList<>();
    String referrers =
        grouped(
            cache.referrers(existing.uuid()).stream()
                .filter(s -> !released.contains(s.object().uuid()))
                .toList());
    if (!referrers.isEmpty()) {
      reasons.add("is in use by " + referrers);
    }
    String children = grouped(cache.children(existing.uuid()));
    if (!children.isEmpty()) {
      reasons.add("still has " + children + " (delete those first)");
    }
    if (!reasons.isEmpty()) {
      throw ApiException.conflict(Nouns.describe(existing) + " " + String.join("; it ", reasons));
    }
  }

  private static String grouped(List<Stored<ConfigObject>> objects) {
    Map<ObjectType, List<String>> byType = new EnumMap<>(ObjectType.class);
    for (Stored<ConfigObject> s : objects) {
      byType
          .computeIfAbsent(s.object().type(), t -> new ArrayList<>())
          .add(s.object().fqName().toString());
    }
    List<String> parts = new ArrayList<>();
    byType.forEach(
        (type, names) ->
            parts.add(
                Nouns.count(type, names.size())
                    + ": "
                    + Nouns.list(names.stream().sorted().toList(), 5)));
    return String.join("; ", parts);
  }

  private static void requireRevision(Stored<ConfigObject> existing, OptionalLong ifMatch) {
    if (ifMatch.isPresent() && ifMatch.getAsLong() != existing.modRevision()) {
      throw ApiException.conflict(
          Nouns.describe(existing.object())
              + " has changed: it is at revision "
              + existing.modRevision()
              + ", not "
              + ifMatch.getAsLong()
              + " (If-Match); read it again and retry");
    }
  }

  /**
   * Commits, turning a failed guard into a 409 that says what changed.
   *
   * @return the revision of the commit
   */
  private long commit(ObjectTxn txn, ConfigObject subject) {
    try {
      return store.commit(txn);
    } catch (ConflictException e) {
      throw ApiException.conflict(
          Nouns.describe(subject)
              + " was changed by someone else while this request was handled; read it again and"
              + " retry ("
              + e.getMessage()
              + ")");
    }
  }

  private Stored<ConfigObject> current(ConfigObject object) {
    return cache
        .<ConfigObject>get(object.type(), object.uuid())
        .orElseThrow(
            () ->
                ApiException.conflict(
                    Nouns.describe(object) + " was deleted right after the write"));
  }
}
