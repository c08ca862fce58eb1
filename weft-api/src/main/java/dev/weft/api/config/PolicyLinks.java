package dev.weft.api.config;

import dev.weft.model.ConfigObject;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.PolicyLink;
import dev.weft.model.Ref;
import dev.weft.model.VirtualNetwork;
import dev.weft.store.Compare;
import dev.weft.store.objects.ObjectCache;
import dev.weft.store.objects.ObjectKeys;
import dev.weft.store.objects.ObjectTxn;
import dev.weft.store.objects.Stored;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Links from virtual networks to a user's network policy, changed from the policy's side: attach it
 * to a set of networks (networks Weft derives from Kubernetes included; these links are the one
 * change users may make to such a network, and the kube-manager keeps them) or detach it from all.
 * Computes the network updates; the caller writes them in the policy's own guarded transaction.
 */
public final class PolicyLinks {
  /** One network to rewrite: its stored version (whose revision guards the write) and the next. */
  public record Change(Stored<? extends ConfigObject> before, VirtualNetwork after) {}

  private final ObjectCache cache;

  public PolicyLinks(ObjectCache cache) {
    this.cache = cache;
  }

  /**
   * The updates that make exactly {@code networks} link {@code policy} at {@code sequence}: a
   * missing link is appended after the network's others, an existing one takes the new sequence in
   * place, and every other network linking the policy loses its link. Links to other policies are
   * never touched. Empty when nothing changes.
   */
  public List<Change> attach(
      NetworkPolicy policy, List<Stored<VirtualNetwork>> networks, int sequence) {
    PolicyLink wanted = new PolicyLink(Ref.to(policy), sequence);
    List<Change> out = new ArrayList<>();
    Set<UUID> named = new HashSet<>();
    for (Stored<VirtualNetwork> stored : networks) {
      VirtualNetwork vn = stored.object();
      named.add(vn.uuid());
      List<PolicyLink> links = new ArrayList<>(vn.networkPolicyRefs());
      int at = indexOf(links, policy.uuid());
      if (at < 0) {
        links.add(wanted);
      } else {
        links.set(at, wanted);
      }
      VirtualNetwork next = vn.withPolicies(links);
      if (!next.equals(vn)) {
        out.add(new Change(stored, next));
      }
    }
    for (Change c : detachAll(policy.uuid())) {
      if (!named.contains(c.after().uuid())) {
        out.add(c);
      }
    }
    return out;
  }

  /** The updates that remove every link to {@code policy}; empty when no network links it. */
  public List<Change> detachAll(UUID policy) {
    List<Change> out = new ArrayList<>();
    for (Stored<ConfigObject> referrer : cache.referrers(policy)) {
      if (referrer.object() instanceof VirtualNetwork vn) {
        List<PolicyLink> links =
            vn.networkPolicyRefs().stream().filter(l -> !l.policy().uuid().equals(policy)).toList();
        out.add(new Change(referrer, vn.withPolicies(links)));
      }
    }
    return out;
  }

  /**
   * Guards {@code txn} on the current revision of each stored policy {@code links} name, so that a
   * policy deleted (and unlinked) meanwhile fails the commit instead of leaving a dangling link.
   * Policies not stored yet are skipped: creating them in {@code txn} is guarded already.
   */
  public ObjectTxn guardPolicies(ObjectTxn txn, Collection<PolicyLink> links) {
    links.forEach(l -> guardPolicy(txn, l.policy().uuid()));
    return txn;
  }

  /** {@link #guardPolicies} for one policy. */
  public ObjectTxn guardPolicy(ObjectTxn txn, UUID policy) {
    cache
        .get(ObjectType.NETWORK_POLICY, policy)
        .ifPresent(
            s ->
                txn.guard(
                    Compare.modRevision(
                        ObjectKeys.object(ObjectType.NETWORK_POLICY, policy), s.modRevision())));
    return txn;
  }

  /** True for a stored policy Weft derives from Kubernetes: links to it are the kube-manager's. */
  public boolean isDerived(UUID policy) {
    return cache
        .<NetworkPolicy>get(ObjectType.NETWORK_POLICY, policy)
        .map(s -> s.object().owner().isPresent())
        .orElse(false);
  }

  private static int indexOf(List<PolicyLink> links, UUID policy) {
    for (int i = 0; i < links.size(); i++) {
      if (links.get(i).policy().uuid().equals(policy)) {
        return i;
      }
    }
    return -1;
  }
}
