package dev.weft.kube.reconcile;

import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.PolicyLink;
import dev.weft.model.Ref;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.objects.ObjectCache;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Keeps the links users make from networks the kube-manager owns to their own network policies
 * (joining a custom network to {@code k8s-default-pod-network}, as Contrail users do). The
 * kube-manager owns exactly the links to policies Weft derives; every other link on a network it
 * writes is the user's and survives each convergence and restart.
 */
final class UserPolicyLinks {
  private UserPolicyLinks() {}

  /**
   * {@code desired} with the user links of {@code stored} after its own links, in their stored
   * order; {@code desired} itself when either is not a network or there is nothing to keep. The
   * fixed order (derived links first) is what makes "desired equals stored" hold once the user
   * links are in, so converging writes nothing more.
   *
   * @param wanted UUIDs of every object the converging key wants, its own policies among them
   */
  static ConfigObject keep(
      ConfigObject desired, ConfigObject stored, Set<UUID> wanted, ObjectCache cache) {
    if (!(desired instanceof VirtualNetwork next) || !(stored instanceof VirtualNetwork previous)) {
      return desired;
    }
    Set<UUID> linked = new HashSet<>();
    next.networkPolicyRefs().forEach(l -> linked.add(l.policy().uuid()));
    List<PolicyLink> links = new ArrayList<>(next.networkPolicyRefs());
    for (PolicyLink link : previous.networkPolicyRefs()) {
      UUID policy = link.policy().uuid();
      if (!linked.contains(policy) && isUsers(link.policy(), wanted, cache)) {
        links.add(link);
        linked.add(policy);
      }
    }
    return links.size() == next.networkPolicyRefs().size() ? next : next.withPolicies(links);
  }

  /**
   * True unless the kube-manager derives {@code policy}: it is neither among {@code wanted} nor a
   * stored policy carrying the Kubernetes owner annotations.
   */
  static boolean isUsers(Ref link, Set<UUID> wanted, ObjectCache cache) {
    UUID policy = link.uuid();
    if (wanted.contains(policy)) {
      return false;
    }
    var stored = cache.get(ObjectType.NETWORK_POLICY, policy);
    if (stored.isPresent()) {
      return stored.get().object().owner().isEmpty();
    }
    // A policy the cache does not hold counts as the user's (the config API creates a policy and
    // its links in one transaction, and a reconcile may read the network before the policy),
    // unless it bears the name of a policy Weft derives: a namespace's pod-service policy, gone
    // with the namespace's isolation, whose link must go too.
    return !derivedName(link.to());
  }

  /** {@code [domain, C-ns, C-ns-pod-service-np]}: the name Weft gives a pod-service policy. */
  static boolean derivedName(FqName name) {
    if (name == null || name.parts().size() != 3) {
      return false;
    }
    return name.parts().get(2).equals(name.parts().get(1) + "-pod-service-np");
  }

  /**
   * {@code desired}, a network the kube-manager is about to create, with links to the user policies
   * that were attached to a network of this name from the policy side ({@link
   * NetworkPolicy#ATTACHED_NETWORKS}): the network was derived before, deleted with its cause (a
   * namespace losing its isolation), and the user's attachment comes back with it.
   */
  static ConfigObject restore(ConfigObject desired, ObjectCache cache) {
    if (!(desired instanceof VirtualNetwork network)) {
      return desired;
    }
    String name = network.fqName().toString();
    Set<UUID> linked = new HashSet<>();
    network.networkPolicyRefs().forEach(l -> linked.add(l.policy().uuid()));
    List<PolicyLink> links = new ArrayList<>(network.networkPolicyRefs());
    List<NetworkPolicy> policies = new ArrayList<>();
    for (var s : cache.<NetworkPolicy>list(ObjectType.NETWORK_POLICY)) {
      NetworkPolicy p = s.object();
      String attached = p.annotations().get(NetworkPolicy.ATTACHED_NETWORKS);
      if (p.owner().isEmpty()
          && attached != null
          && !linked.contains(p.uuid())
          && List.of(attached.split(",")).contains(name)) {
        policies.add(p);
      }
    }
    policies.sort(java.util.Comparator.comparing(p -> p.fqName().toString()));
    for (NetworkPolicy p : policies) {
      int sequence = 0;
      try {
        sequence =
            Integer.parseInt(p.annotations().getOrDefault(NetworkPolicy.ATTACH_SEQUENCE, "0"));
      } catch (NumberFormatException e) {
        // a hand-edited annotation: the default sequence
      }
      links.add(new PolicyLink(Ref.to(p), sequence));
    }
    return links.size() == network.networkPolicyRefs().size()
        ? desired
        : network.withPolicies(links);
  }
}
