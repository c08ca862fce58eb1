package dev.weft.control;

import dev.weft.model.Action;
import dev.weft.model.FqName;
import dev.weft.model.Protocol;
import java.util.List;

/**
 * A network's ACL: the entries of its attached policies (by link sequence, then policy name, then
 * rule order), first match wins. When nothing matches, traffic within the network passes (Contrail
 * always lets a network's own interfaces talk), and other traffic is denied if the network has any
 * policy attached, passed if it has none (no ACL at all; such a network has no route to other
 * networks anyway).
 *
 * @param policies the attached policies, in evaluation order; {@code missing} those attached but
 *     not (or no longer) in the store
 */
public record Acl(
    FqName network, List<FqName> policies, List<FqName> missing, List<AclEntry> entries) {
  public Acl {
    policies = List.copyOf(policies);
    missing = List.copyOf(missing);
    entries = List.copyOf(entries);
  }

  public static Acl empty(FqName network) {
    return new Acl(network, List.of(), List.of(), List.of());
  }

  /** Why the ACL decided what it did. */
  public enum Basis {
    /** An entry matched: {@link Decision#entry()}. */
    RULE,
    /** No entry matched, and the packet stays within the network. */
    SAME_NETWORK,
    /** No entry matched; the network has no policy attached. */
    NO_POLICY,
    /** No entry matched; the network has policies, none passes this packet. */
    IMPLICIT_DENY
  }

  /**
   * @param entryIndex the matched entry's index in {@link #entries()}, or -1
   */
  public record Decision(Action action, Basis basis, int entryIndex, AclEntry entry) {
    public boolean passes() {
      return action == Action.PASS;
    }
  }

  public Decision decide(
      FqName sourceNetwork,
      String sourceAddress,
      FqName destinationNetwork,
      String destinationAddress,
      Protocol protocol,
      int sourcePort,
      int destinationPort) {
    for (int i = 0; i < entries.size(); i++) {
      AclEntry e = entries.get(i);
      if (e.matches(
          sourceNetwork,
          sourceAddress,
          destinationNetwork,
          destinationAddress,
          protocol,
          sourcePort,
          destinationPort)) {
        return new Decision(e.action(), Basis.RULE, i, e);
      }
    }
    if (network.equals(sourceNetwork) && network.equals(destinationNetwork)) {
      return new Decision(Action.PASS, Basis.SAME_NETWORK, -1, null);
    }
    if (policies.isEmpty() && missing.isEmpty()) {
      return new Decision(Action.PASS, Basis.NO_POLICY, -1, null);
    }
    return new Decision(Action.DENY, Basis.IMPLICIT_DENY, -1, null);
  }
}
