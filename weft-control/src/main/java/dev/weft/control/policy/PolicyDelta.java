package dev.weft.control.policy;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * What one batch of changes did to the compiled policy state, in the terms an agent programs: sets
 * of addresses per group (nftables sets, Antrea's address groups) patched with members gained and
 * lost; policies whose rules to re-render; interfaces whose set of applied policies (or isolation)
 * changed; pods whose declared ports changed, which named ports resolve against. Everything in it
 * is sorted, so two engines fed the same changes emit equal deltas.
 *
 * <p>The agent reads the current state through {@link PolicyView} (group members, a policy's
 * compiled rules, an interface's policies) for what the delta names; applying the patches in order
 * to a copy of every group's members keeps that copy equal to {@link PolicyView#members}.
 *
 * @param groups the groups created, patched or deleted, in {@link GroupKey} order
 * @param policies policies added, changed or removed ({@link PolicyView#policy} null: removed)
 * @param interfaces pod interfaces whose applied policies changed, or that went away
 * @param ports pod interfaces whose declared container ports changed
 */
public record PolicyDelta(
    List<GroupChange> groups, List<UUID> policies, List<UUID> interfaces, List<UUID> ports) {
  public static final PolicyDelta EMPTY =
      new PolicyDelta(List.of(), List.of(), List.of(), List.of());

  public PolicyDelta {
    groups = List.copyOf(groups);
    policies = List.copyOf(policies);
    interfaces = List.copyOf(interfaces);
    ports = List.copyOf(ports);
  }

  public boolean isEmpty() {
    return groups.isEmpty() && policies.isEmpty() && interfaces.isEmpty() && ports.isEmpty();
  }

  /**
   * One group's change.
   *
   * @param added for {@link Kind#CREATED}, every member (the group's whole content, which replaces
   *     any set the agent had by that key); for {@link Kind#UPDATED}, the members gained
   * @param removed for {@link Kind#UPDATED}, the members lost; empty otherwise
   */
  public record GroupChange(GroupKey group, Kind kind, List<UUID> added, List<UUID> removed) {
    public GroupChange {
      Objects.requireNonNull(group, "group");
      Objects.requireNonNull(kind, "kind");
      added = List.copyOf(added);
      removed = List.copyOf(removed);
    }
  }

  /** How a group changed. */
  public enum Kind {
    /** It is new (or was replaced within the batch): {@code added} is all of it. */
    CREATED,
    /** It gained {@code added} and lost {@code removed}. */
    UPDATED,
    /** No policy names it any more. */
    DELETED
  }
}
