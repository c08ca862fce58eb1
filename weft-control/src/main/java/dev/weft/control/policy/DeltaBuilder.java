package dev.weft.control.policy;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * The changes of the batch being applied, netted: a member that joins and leaves a group within a
 * batch is no change, nor is an interface that loses a policy and gets it back. A group new in the
 * batch (or deleted and made again) is not tracked member by member: its whole content goes out
 * when the batch ends, which keeps the initial computation (every group new) from paying for a
 * patch per membership.
 */
final class DeltaBuilder {
  /** One group's change within the batch. */
  static final class Change {
    final boolean existedBefore;
    boolean replaced;
    Map<UUID, Integer> net;

    Change(boolean existedBefore) {
      this.existedBefore = existedBefore;
    }

    boolean tracked() {
      return existedBefore && !replaced;
    }
  }

  /*
   * Made anew for each batch rather than cleared: a HashMap never shrinks, and after the initial
   * computation (every group, policy and pod in one batch) clearing or walking its table would cost
   * every later batch of one label change a pass over 100,000 empty slots.
   */
  private Map<GroupKey, Change> groups = new HashMap<>();
  private Set<UUID> policies = new HashSet<>();

  /** Each interface touched, with the policies it had when the batch first touched it. */
  private Map<UUID, PolicyState[]> interfaces = new HashMap<>();

  private Set<UUID> ports = new HashSet<>();

  /** Which batch this is: a group's cached {@link Change} is valid for this batch only. */
  private long batch = 1;

  void created(PodGroup g) {
    g.change = groups.computeIfAbsent(g.key, k -> new Change(false));
    g.changeBatch = batch;
  }

  void deleted(PodGroup g) {
    Change c = change(g);
    c.replaced = true;
    c.net = null;
  }

  void joined(PodGroup g, UUID pod) {
    count(g, pod, 1);
  }

  void left(PodGroup g, UUID pod) {
    count(g, pod, -1);
  }

  private void count(PodGroup g, UUID pod, int d) {
    Change c = change(g);
    if (c.tracked()) {
      if (c.net == null) {
        c.net = new HashMap<>();
      }
      c.net.merge(pod, d, (a, b) -> a + b == 0 ? null : a + b);
    }
  }

  /** The group's change in this batch; a group not touched yet in it existed before it. */
  private Change change(PodGroup g) {
    if (g.changeBatch != batch) {
      g.change = groups.computeIfAbsent(g.key, k -> new Change(true));
      g.changeBatch = batch;
    }
    return g.change;
  }

  void policy(UUID uuid) {
    policies.add(uuid);
  }

  /** {@code pod}'s applied policies are about to change. */
  void applied(Pod pod) {
    interfaces.putIfAbsent(pod.uuid, pod.applied);
  }

  void ports(UUID pod) {
    ports.add(pod);
  }

  /**
   * The batch's delta, and a fresh start.
   *
   * @param members the members of a group as it is now, or null when it does not exist
   * @param applied the policies applied to a pod now, or null when it is gone
   */
  PolicyDelta drain(Function<GroupKey, List<UUID>> members, Function<UUID, PolicyState[]> applied) {
    if (groups.isEmpty() && policies.isEmpty() && interfaces.isEmpty() && ports.isEmpty()) {
      return PolicyDelta.EMPTY;
    }
    List<GroupKey> keys = new ArrayList<>(groups.keySet());
    keys.sort(null);
    List<PolicyDelta.GroupChange> out = new ArrayList<>(keys.size());
    for (GroupKey key : keys) {
      Change c = groups.get(key);
      List<UUID> now = members.apply(key);
      if (now == null) {
        if (c.existedBefore) {
          out.add(new PolicyDelta.GroupChange(key, PolicyDelta.Kind.DELETED, List.of(), List.of()));
        }
      } else if (!c.tracked()) {
        out.add(new PolicyDelta.GroupChange(key, PolicyDelta.Kind.CREATED, now, List.of()));
      } else if (c.net != null && !c.net.isEmpty()) {
        List<UUID> added = new ArrayList<>();
        List<UUID> removed = new ArrayList<>();
        c.net.forEach((pod, n) -> (n > 0 ? added : removed).add(pod));
        out.add(
            new PolicyDelta.GroupChange(
                key, PolicyDelta.Kind.UPDATED, sorted(added), sorted(removed)));
      }
    }
    List<UUID> changed = new ArrayList<>();
    interfaces.forEach(
        (pod, before) -> {
          PolicyState[] now = applied.apply(pod);
          if (!same(before, now == null ? Pod.NONE : now)) {
            changed.add(pod);
          }
        });
    PolicyDelta d = new PolicyDelta(out, sorted(policies), sorted(changed), sorted(ports));
    discard();
    return d;
  }

  /** Forgets the batch's changes without building a delta (nobody is listening yet). */
  void discard() {
    groups = new HashMap<>();
    policies = new HashSet<>();
    interfaces = new HashMap<>();
    ports = new HashSet<>();
    batch++;
  }

  /** The same policies by UUID, governing the same directions (their rules may differ). */
  private static boolean same(PolicyState[] a, PolicyState[] b) {
    if (a.length != b.length) {
      return false;
    }
    for (int i = 0; i < a.length; i++) {
      if (!a[i].uuid.equals(b[i].uuid)
          || a[i].ingress != b[i].ingress
          || a[i].egress != b[i].egress) {
        return false;
      }
    }
    return true;
  }

  private static List<UUID> sorted(Collection<UUID> c) {
    List<UUID> out = new ArrayList<>(c);
    out.sort(null);
    return out;
  }
}
