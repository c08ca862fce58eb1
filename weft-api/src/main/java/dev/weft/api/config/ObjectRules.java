package dev.weft.api.config;

import dev.weft.model.AddressMatch;
import dev.weft.model.ConfigObject;
import dev.weft.model.FloatingIp;
import dev.weft.model.FloatingIpPool;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpPrefix;
import dev.weft.model.IpamLink;
import dev.weft.model.NetworkIpam;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.PolicyLink;
import dev.weft.model.PolicyRule;
import dev.weft.model.Ref;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.ObjectStore;
import dev.weft.store.objects.Stored;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Validation of user objects against the current state: parent of the right type with a matching FQ
 * name, references that resolve to objects of the expected type, subnets that do not overlap, pools
 * within their network. Throws {@link ApiException} with 400, 404 or 409.
 */
public final class ObjectRules {
  private final ObjectCache cache;

  public ObjectRules(ObjectStore store) {
    this.cache = store.cache();
  }

  /**
   * Validates {@code candidate}, a new object ({@code previous} null) or the replacement of {@code
   * previous}.
   *
   * @param pending objects created in the same transaction; they count as existing
   */
  public void validate(
      ConfigObject candidate, ConfigObject previous, Collection<ConfigObject> pending) {
    Lookup lookup = new Lookup(pending);
    if (Owner.K8S.equals(candidate.annotations().get(Owner.OWNER))) {
      throw ApiException.badRequest(
          "annotation "
              + Owner.OWNER
              + "="
              + Owner.K8S
              + " is reserved for objects Weft derives from Kubernetes; remove it");
    }
    checkParent(candidate, lookup);
    if (candidate instanceof VirtualNetwork vn) {
      checkNetwork(vn, (VirtualNetwork) previous, lookup);
    } else if (candidate instanceof NetworkPolicy np) {
      checkPolicy(np);
    } else if (candidate instanceof FloatingIpPool pool) {
      checkPool(pool, lookup);
    } else if (candidate instanceof FloatingIp fip) {
      checkFloatingIp(fip, lookup);
    }
  }

  private final class Lookup {
    private final List<ConfigObject> pending;

    Lookup(Collection<ConfigObject> pending) {
      this.pending = List.copyOf(pending);
    }

    Optional<ConfigObject> get(UUID uuid) {
      for (ConfigObject o : pending) {
        if (o.uuid().equals(uuid)) {
          return Optional.of(o);
        }
      }
      return cache.get(uuid).map(Stored::object);
    }
  }

  private void checkParent(ConfigObject candidate, Lookup lookup) {
    Optional<ObjectType> required = ObjectBodies.parentType(candidate.type());
    if (required.isEmpty()) {
      return;
    }
    ObjectType parentType = required.get();
    Ref parent = candidate.parent();
    String what = Nouns.describe(candidate);
    if (parent == null) {
      throw ApiException.badRequest(what + " needs a parent " + Nouns.noun(parentType));
    }
    if (parent.type() != parentType) {
      throw ApiException.badRequest(
          "the parent of a "
              + Nouns.noun(candidate.type())
              + " must be a "
              + Nouns.noun(parentType)
              + ", not a "
              + Nouns.noun(parent.type())
              + " ("
              + parent.to()
              + ")");
    }
    ConfigObject actual =
        lookup
            .get(parent.uuid())
            .orElseThrow(
                () ->
                    ApiException.notFound(
                        "parent "
                            + Nouns.noun(parentType)
                            + " "
                            + parent.to()
                            + " (uuid "
                            + parent.uuid()
                            + ") of "
                            + what
                            + " does not exist"));
    if (actual.type() != parentType) {
      throw ApiException.badRequest(
          "the parent of a "
              + Nouns.noun(candidate.type())
              + " must be a "
              + Nouns.noun(parentType)
              + ", but uuid "
              + parent.uuid()
              + " is the "
              + Nouns.describe(actual));
    }
    FqName expected = actual.fqName().child(candidate.fqName().name());
    if (!candidate.fqName().equals(expected)) {
      throw ApiException.badRequest(
          "fq_name "
              + candidate.fqName()
              + " does not match its parent "
              + Nouns.describe(actual)
              + ": expected "
              + expected);
    }
    if (!parent.to().equals(actual.fqName())) {
      throw ApiException.badRequest(
          "the parent reference names " + parent.to() + " but is the " + Nouns.describe(actual));
    }
  }

  /** Resolves a reference of {@code candidate} that must point at {@code expected}. */
  private ConfigObject resolve(
      ConfigObject candidate, String field, Ref ref, ObjectType expected, Lookup lookup) {
    String what = Nouns.describe(candidate);
    if (ref.type() != expected) {
      throw ApiException.badRequest(
          what
              + ": "
              + field
              + " must refer to a "
              + Nouns.noun(expected)
              + ", not a "
              + Nouns.noun(ref.type())
              + " ("
              + ref.to()
              + ")");
    }
    ConfigObject target =
        lookup
            .get(ref.uuid())
            .orElseThrow(
                () ->
                    ApiException.notFound(
                        what
                            + ": "
                            + field
                            + " refers to "
                            + Nouns.noun(expected)
                            + " "
                            + ref.to()
                            + " (uuid "
                            + ref.uuid()
                            + "), which does not exist"));
    if (target.type() != expected) {
      throw ApiException.badRequest(
          what
              + ": "
              + field
              + " must refer to a "
              + Nouns.noun(expected)
              + ", but uuid "
              + ref.uuid()
              + " is the "
              + Nouns.describe(target));
    }
    if (!ref.to().equals(target.fqName())) {
      throw ApiException.badRequest(
          what
              + ": "
              + field
              + " names "
              + ref.to()
              + " but uuid "
              + ref.uuid()
              + " is the "
              + Nouns.describe(target));
    }
    return target;
  }

  private void checkNetwork(VirtualNetwork vn, VirtualNetwork previous, Lookup lookup) {
    List<IpamLink> links = vn.networkIpamRefs();
    for (int i = 0; i < links.size(); i++) {
      resolve(
          vn, "network_ipam_refs[" + i + "]", links.get(i).ipam(), ObjectType.NETWORK_IPAM, lookup);
    }
    Set<UUID> policies = new HashSet<>();
    List<PolicyLink> policyLinks = vn.networkPolicyRefs();
    for (int i = 0; i < policyLinks.size(); i++) {
      Ref ref = policyLinks.get(i).policy();
      resolve(vn, "network_policy_refs[" + i + "]", ref, ObjectType.NETWORK_POLICY, lookup);
      if (!policies.add(ref.uuid())) {
        throw ApiException.badRequest(
            Nouns.describe(vn) + ": network policy " + ref.to() + " is attached twice");
      }
    }
    List<IpPrefix> prefixes = vn.ownSubnets().stream().map(s -> s.prefix()).toList();
    requireDisjoint(Nouns.describe(vn), prefixes);
    if (previous != null) {
      checkSubnetsStillCover(vn, previous, prefixes, lookup);
    }
  }

  private static void requireDisjoint(String what, List<IpPrefix> prefixes) {
    for (int i = 0; i < prefixes.size(); i++) {
      for (int j = i + 1; j < prefixes.size(); j++) {
        if (prefixes.get(i).overlaps(prefixes.get(j))) {
          throw ApiException.badRequest(
              what
                  + ": subnets "
                  + prefixes.get(i)
                  + " and "
                  + prefixes.get(j)
                  + (prefixes.get(i).equals(prefixes.get(j)) ? " are the same" : " overlap"));
        }
      }
    }
  }

  /** A network may not drop a subnet that addresses or pools still use. */
  private void checkSubnetsStillCover(
      VirtualNetwork vn, VirtualNetwork previous, List<IpPrefix> prefixes, Lookup lookup) {
    Set<IpPrefix> previousOwn = new HashSet<>();
    previous.ownSubnets().forEach(s -> previousOwn.add(s.prefix()));
    List<IpPrefix> range = networkPrefixes(vn, lookup);
    List<String> stranded = new ArrayList<>();
    for (Stored<ConfigObject> s : cache.referrers(vn.uuid())) {
      if (s.object() instanceof InstanceIp ip
          && previousOwn.contains(ip.subnet())
          && !prefixes.contains(ip.subnet())) {
        stranded.add(ip.address() + " (" + ip.fqName() + ")");
      }
    }
    if (!stranded.isEmpty()) {
      throw ApiException.conflict(
          Nouns.describe(vn)
              + ": cannot remove subnets still in use by "
              + Nouns.count(ObjectType.INSTANCE_IP, stranded.size())
              + ": "
              + Nouns.list(stranded.stream().sorted().toList(), 5));
    }
    for (Stored<ConfigObject> s : cache.children(vn.uuid())) {
      if (s.object() instanceof FloatingIpPool pool) {
        for (IpPrefix p : pool.subnets()) {
          if (range.stream().noneMatch(r -> contains(r, p))) {
            throw ApiException.conflict(
                Nouns.describe(vn)
                    + ": "
                    + Nouns.describe(pool)
                    + " uses "
                    + p
                    + ", which would lie outside the network's subnets; change the pool first");
          }
        }
      }
    }
  }

  private List<IpPrefix> networkPrefixes(VirtualNetwork vn, Lookup lookup) {
    List<IpPrefix> own = vn.ownSubnets().stream().map(s -> s.prefix()).toList();
    if (!own.isEmpty()) {
      return own;
    }
    List<IpPrefix> out = new ArrayList<>();
    for (IpamLink link : vn.networkIpamRefs()) {
      lookup
          .get(link.ipam().uuid())
          .filter(NetworkIpam.class::isInstance)
          .ifPresent(ipam -> out.addAll(((NetworkIpam) ipam).subnets()));
    }
    return out;
  }

  private static boolean contains(IpPrefix outer, IpPrefix inner) {
    return outer.family() == inner.family()
        && outer.length() <= inner.length()
        && outer.block().contains(inner.block());
  }

  private static void checkPolicy(NetworkPolicy np) {
    List<PolicyRule> rules = np.rules();
    for (int i = 0; i < rules.size(); i++) {
      checkEnd(np, "rules[" + i + "].source", rules.get(i).source());
      checkEnd(np, "rules[" + i + "].destination", rules.get(i).destination());
    }
  }

  private static void checkEnd(NetworkPolicy np, String field, AddressMatch match) {
    // Rules name networks by FQ name only, as Contrail's do: a network may be created after the
    // policy that names it (networks attach policies, so one of the two must come first).
    if (match.virtualNetwork() != null && match.virtualNetwork().parts().size() != 3) {
      throw ApiException.badRequest(
          Nouns.describe(np)
              + ": "
              + field
              + ": a virtual network is named domain:project:network, found "
              + match.virtualNetwork());
    }
  }

  private void checkPool(FloatingIpPool pool, Lookup lookup) {
    VirtualNetwork vn = (VirtualNetwork) lookup.get(pool.parent().uuid()).orElseThrow();
    requireDisjoint(Nouns.describe(pool), pool.subnets());
    List<IpPrefix> range = networkPrefixes(vn, lookup);
    for (IpPrefix p : pool.subnets()) {
      if (range.stream().noneMatch(r -> contains(r, p))) {
        throw ApiException.badRequest(
            Nouns.describe(pool)
                + ": subnet "
                + p
                + " is not inside the subnets of "
                + Nouns.describe(vn)
                + (range.isEmpty()
                    ? ", which has none"
                    : " ("
                        + String.join(", ", range.stream().map(IpPrefix::toString).toList())
                        + ")"));
      }
    }
  }

  /** The prefixes floating IPs of {@code pool} come from. */
  private List<IpPrefix> poolPrefixes(FloatingIpPool pool, Lookup lookup) {
    if (!pool.subnets().isEmpty()) {
      return pool.subnets();
    }
    return lookup
        .get(pool.parent().uuid())
        .filter(VirtualNetwork.class::isInstance)
        .map(vn -> networkPrefixes((VirtualNetwork) vn, lookup))
        .orElse(List.of());
  }

  private void checkFloatingIp(FloatingIp fip, Lookup lookup) {
    FloatingIpPool pool = (FloatingIpPool) lookup.get(fip.parent().uuid()).orElseThrow();
    List<IpPrefix> range = poolPrefixes(pool, lookup);
    if (range.stream().noneMatch(p -> p.contains(fip.address()))) {
      throw ApiException.badRequest(
          Nouns.describe(fip)
              + ": address "
              + fip.address()
              + " is not inside "
              + Nouns.describe(pool)
              + (range.isEmpty()
                  ? ", which has no subnets"
                  : " ("
                      + String.join(", ", range.stream().map(IpPrefix::toString).toList())
                      + ")"));
    }
    for (int i = 0; i < fip.interfaces().size(); i++) {
      resolve(
          fip,
          "interfaces[" + i + "]",
          fip.interfaces().get(i),
          ObjectType.VIRTUAL_MACHINE_INTERFACE,
          lookup);
    }
    if (fip.loadbalancer() != null) {
      resolve(fip, "loadbalancer", fip.loadbalancer(), ObjectType.LOADBALANCER, lookup);
    }
  }
}
