package dev.weft.control.policy;

import dev.weft.control.policy.PolicyDecision.Direction;
import dev.weft.control.policy.PolicyState.Peer;
import dev.weft.control.policy.PolicyState.Port;
import dev.weft.control.policy.PolicyState.Rule;
import dev.weft.model.ContainerPort;
import dev.weft.model.FirewallPeer;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.FirewallRule;
import dev.weft.model.LabelSelector;
import dev.weft.model.Owner;
import dev.weft.model.Protocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Kubernetes NetworkPolicy, compiled incrementally: namespaces with their labels, pods with their
 * labels and declared ports, and firewall policies go in one change at a time; group memberships,
 * the policies applied to each pod, and a {@link PolicyDelta} of what changed come out; {@link
 * #view} judges packets.
 *
 * <p>Each change costs what it touches, never a pass over all pods or all policies:
 *
 * <ul>
 *   <li>a pod added: the groups of its namespace's scope filed under its {@code key=value} labels,
 *       its keys (presence terms), or as matching an unlabelled pod; each re-evaluated once;
 *   <li>a pod's labels changed: the groups of its namespace's scope filed under {@code key=old} or
 *       {@code key=new} of a changed key (or the key, if it appeared or went);
 *   <li>a pod removed: the groups it is in;
 *   <li>a namespace's labels changed: the namespace selectors filed under its changed labels; for
 *       each one whose answer flips, the pod groups across it gain or lose that namespace's
 *       matching pods, found through the namespace's pod-label index;
 *   <li>a policy added, changed or removed: its own groups, reference-counted, a new group computed
 *       from the label indexes (about the size of its result); an applied-to group's members get
 *       the policy, or lose it.
 * </ul>
 *
 * <p>Selectors without a positive term ({@code {}}, or only {@code NotIn} / {@code DoesNotExist})
 * match pods without labels, so every pod added in their scope is judged by them, and computing one
 * visits every pod (or namespace) in scope; a label change still reaches them only through the keys
 * they name. That is the one place cost follows the scope rather than the change, and the result of
 * such a selector is most of its scope anyway.
 *
 * <p>Not thread-safe: one thread changes it (the compiler's, under its write lock); readers of
 * {@link #view} hold the read lock, and may be many at once since reading changes nothing.
 */
public final class PolicyEngine {
  /**
   * The label the API server puts on every namespace (since Kubernetes 1.22), its value the
   * namespace's name. The engine adds it itself, so that policies selecting namespaces by name work
   * whether or not the project carries it (the embedded API server does not add it) and for a
   * namespace known only through its pods.
   */
  public static final String NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

  private static final Rule[] NO_RULES = new Rule[0];

  private final Map<String, Namespace> namespaces = new HashMap<>();
  private final LabelIndex<Namespace> namespacesByLabel = new LabelIndex<>();
  private final Map<UUID, Pod> pods = new HashMap<>();
  private final Map<UUID, PolicyState> policies = new HashMap<>();
  private final Map<GroupKey, PodGroup> groups = new HashMap<>();
  private final Map<LabelSelector, NamespaceGroup> namespaceGroups = new HashMap<>();
  private final SelectorIndex<NamespaceGroup> namespaceGroupIndex = new SelectorIndex<>();
  private final DeltaBuilder delta = new DeltaBuilder();
  private final View view = new View();

  /** Stamps groups visited by one change, so a group filed under several terms is judged once. */
  private long stamp;

  /** The read side; valid for as long as the engine, read under the caller's read lock. */
  public PolicyView view() {
    return view;
  }

  /** What changed since the last call, and a fresh start. */
  public PolicyDelta drain() {
    return delta.drain(
        k -> {
          PodGroup g = groups.get(k);
          return g == null ? null : uuids(g.members);
        },
        id -> {
          Pod p = pods.get(id);
          return p == null ? null : p.applied;
        });
  }

  /**
   * Forgets what changed since the last {@link #drain} without building a delta: for a caller with
   * nobody to tell yet (a compiler priming itself, whose listeners read the whole state).
   */
  public void discardDelta() {
    delta.discard();
  }

  /** Counts, for benchmarks and logs. */
  public record Stats(
      int namespaces,
      int pods,
      int policies,
      int groups,
      int namespaceGroups,
      long memberships,
      long appliedPolicies) {}

  public Stats stats() {
    long members = 0;
    for (PodGroup g : groups.values()) {
      members += g.members.size();
    }
    long applied = 0;
    for (Pod p : pods.values()) {
      applied += p.applied.length;
    }
    return new Stats(
        namespaces.size(),
        pods.size(),
        policies.size(),
        groups.size(),
        namespaceGroups.size(),
        members,
        applied);
  }

  // ---------------------------------------------------------------------------------------------
  // Namespaces

  /**
   * Namespace {@code name} has {@code labels} (its project's). Idempotent.
   *
   * @param labels without {@link #NAMESPACE_NAME_LABEL}, which is added
   */
  public void putNamespace(String name, Map<String, String> labels) {
    Objects.requireNonNull(name, "name");
    Map<String, String> effective = effective(name, labels);
    Namespace ns = namespaces.get(name);
    if (ns == null) {
      ns = create(name, effective);
    } else {
      relabel(ns, effective);
    }
    ns.declared = true;
  }

  /**
   * Namespace {@code name}'s project is gone: it has no labels but its name. It lives on while pods
   * or policies are in it (Kubernetes deletes those first; the store may tell them in any order).
   */
  public void removeNamespace(String name) {
    Namespace ns = namespaces.get(name);
    if (ns == null || !ns.declared) {
      return;
    }
    ns.declared = false;
    relabel(ns, effective(name, Map.of()));
    releaseIfUnused(ns);
  }

  private static Map<String, String> effective(String name, Map<String, String> labels) {
    if (labels.isEmpty()) {
      return Map.of(NAMESPACE_NAME_LABEL, name);
    }
    Map<String, String> out = new HashMap<>(labels);
    out.put(NAMESPACE_NAME_LABEL, name);
    return Map.copyOf(out);
  }

  /** The namespace, made known (with no labels but its name) if it was not. */
  private Namespace namespace(String name) {
    Namespace ns = namespaces.get(name);
    return ns != null ? ns : create(name, effective(name, Map.of()));
  }

  private Namespace create(String name, Map<String, String> labels) {
    Namespace ns = new Namespace(name, labels);
    namespaces.put(name, ns);
    namespacesByLabel.add(labels, ns);
    long s = ++stamp;
    namespaceGroupIndex.forNew(
        labels,
        g -> {
          if (g.stamp != s) {
            g.stamp = s;
            if (g.selector.matches(labels)) {
              enter(g, ns);
            }
          }
        });
    return ns;
  }

  private void relabel(Namespace ns, Map<String, String> labels) {
    Map<String, String> before = ns.labels;
    if (before.equals(labels)) {
      return;
    }
    namespacesByLabel.change(before, labels, ns);
    ns.labels = labels;
    long s = ++stamp;
    namespaceGroupIndex.forChange(
        before,
        labels,
        g -> {
          if (g.stamp == s) {
            return;
          }
          g.stamp = s;
          boolean now = g.selector.matches(labels);
          if (now != g.members.contains(ns)) {
            if (now) {
              enter(g, ns);
            } else {
              exit(g, ns);
            }
          }
        });
  }

  private void releaseIfUnused(Namespace ns) {
    if (!ns.unused()) {
      return;
    }
    for (NamespaceGroup g : ns.memberOf.copy()) {
      exit(g, ns);
    }
    namespacesByLabel.remove(ns.labels, ns);
    namespaces.remove(ns.name);
  }

  /** {@code ns} is selected by {@code g}: the pod groups across {@code g} take it in. */
  private void enter(NamespaceGroup g, Namespace ns) {
    g.members.add(ns);
    ns.memberOf.add(g);
    for (PodGroup d : g.dependents) {
      widen(d, ns);
    }
  }

  private void exit(NamespaceGroup g, Namespace ns) {
    g.members.remove(ns);
    ns.memberOf.remove(g);
    for (PodGroup d : g.dependents) {
      narrow(d, ns);
    }
  }

  /** {@code ns} joins {@code g}'s scope: filed there, and its matching pods join. */
  private void widen(PodGroup g, Namespace ns) {
    ns.groups.add(g.selector, g);
    ns.podsByLabel.forEachCandidate(
        g.selector,
        ns.pods.size(),
        ns.pods,
        pod -> {
          if (g.selector.matches(pod.labels)) {
            join(g, pod);
          }
        });
  }

  /** {@code ns} leaves {@code g}'s scope; its members there (all matching pods) leave. */
  private void narrow(PodGroup g, Namespace ns) {
    ns.groups.remove(g.selector, g);
    ns.podsByLabel.forEachCandidate(
        g.selector,
        ns.pods.size(),
        ns.pods,
        pod -> {
          if (g.members.contains(pod)) {
            leave(g, pod);
          }
        });
  }

  // ---------------------------------------------------------------------------------------------
  // Pods

  /**
   * Pod interface {@code uuid}, of pod {@code namespace/name}, has {@code labels} and declares
   * {@code ports}. Idempotent; a pod that moved namespace (never, in Kubernetes) is removed and
   * added.
   */
  public void putPod(
      UUID uuid,
      String namespace,
      String name,
      Map<String, String> labels,
      List<ContainerPort> ports) {
    Objects.requireNonNull(uuid, "uuid");
    Map<String, String> l = Map.copyOf(labels);
    ContainerPort[] p = ports.toArray(ContainerPort[]::new);
    Pod pod = pods.get(uuid);
    if (pod != null && !(pod.namespace.name.equals(namespace) && pod.name.equals(name))) {
      removePod(uuid);
      pod = null;
    }
    if (pod == null) {
      addPod(uuid, namespace, name, l, p);
      return;
    }
    if (!Arrays.equals(pod.ports, p)) {
      pod.ports = p;
      delta.ports(uuid);
    }
    relabel(pod, l);
  }

  private void addPod(
      UUID uuid, String namespace, String name, Map<String, String> labels, ContainerPort[] ports) {
    Namespace ns = namespace(namespace);
    Pod pod = new Pod(uuid, ns, name, labels, ports);
    pods.put(uuid, pod);
    ns.pods.add(pod);
    ns.podsByLabel.add(labels, pod);
    if (ports.length > 0) {
      delta.ports(uuid);
    }
    long s = ++stamp;
    ns.groups.forNew(
        labels,
        g -> {
          if (g.stamp != s) {
            g.stamp = s;
            if (g.selector.matches(labels)) {
              join(g, pod);
            }
          }
        });
  }

  private void relabel(Pod pod, Map<String, String> labels) {
    Map<String, String> before = pod.labels;
    if (before.equals(labels)) {
      return;
    }
    Namespace ns = pod.namespace;
    ns.podsByLabel.change(before, labels, pod);
    pod.labels = labels;
    long s = ++stamp;
    ns.groups.forChange(
        before,
        labels,
        g -> {
          if (g.stamp == s) {
            return;
          }
          g.stamp = s;
          boolean now = g.selector.matches(labels);
          if (now != g.members.contains(pod)) {
            if (now) {
              join(g, pod);
            } else {
              leave(g, pod);
            }
          }
        });
  }

  /** Pod interface {@code uuid} is gone. Idempotent. */
  public void removePod(UUID uuid) {
    Pod pod = pods.remove(uuid);
    if (pod == null) {
      return;
    }
    for (PodGroup g : pod.groups.copy()) {
      leave(g, pod);
    }
    Namespace ns = pod.namespace;
    ns.pods.remove(pod);
    ns.podsByLabel.remove(pod.labels, pod);
    releaseIfUnused(ns);
  }

  private void join(PodGroup g, Pod pod) {
    if (!g.members.add(pod)) {
      return;
    }
    pod.groups.add(g);
    delta.joined(g, pod.uuid);
    if (!g.appliedBy.isEmpty()) {
      delta.applied(pod);
      for (PolicyState p : g.appliedBy) {
        pod.apply(p);
      }
    }
  }

  private void leave(PodGroup g, Pod pod) {
    if (!g.members.remove(pod)) {
      return;
    }
    pod.groups.remove(g);
    delta.left(g, pod.uuid);
    if (!g.appliedBy.isEmpty()) {
      delta.applied(pod);
      for (PolicyState p : g.appliedBy) {
        pod.unapply(p);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Groups

  private PodGroup acquire(GroupKey key) {
    PodGroup g = groups.get(key);
    if (g == null) {
      if (key.namespace() != null) {
        Namespace ns = namespace(key.namespace());
        ns.ownGroups++;
        g = new PodGroup(key, ns, null);
        groups.put(key, g);
        delta.created(g);
        widen(g, ns);
      } else {
        NamespaceGroup ng = acquireNamespaces(key.namespaceSelector());
        g = new PodGroup(key, null, ng);
        groups.put(key, g);
        delta.created(g);
        ng.dependents.add(g);
        for (Namespace ns : ng.members) {
          widen(g, ns);
        }
      }
    }
    g.references++;
    return g;
  }

  private void release(PodGroup g) {
    if (--g.references > 0) {
      return;
    }
    if (!g.appliedBy.isEmpty()) {
      throw new IllegalStateException("group " + g + " released while policies apply to it");
    }
    groups.remove(g.key);
    delta.deleted(g);
    for (Pod pod : g.members) {
      pod.groups.remove(g);
    }
    g.members.clear();
    if (g.namespace != null) {
      g.namespace.groups.remove(g.selector, g);
      g.namespace.ownGroups--;
      releaseIfUnused(g.namespace);
    } else {
      NamespaceGroup ng = g.namespaces;
      for (Namespace ns : ng.members) {
        ns.groups.remove(g.selector, g);
      }
      ng.dependents.remove(g);
      if (ng.dependents.isEmpty()) {
        namespaceGroups.remove(ng.key);
        namespaceGroupIndex.remove(ng.selector, ng);
        for (Namespace ns : ng.members) {
          ns.memberOf.remove(ng);
        }
        ng.members.clear();
      }
    }
  }

  private NamespaceGroup acquireNamespaces(LabelSelector selector) {
    NamespaceGroup g = namespaceGroups.get(selector);
    if (g == null) {
      NamespaceGroup made = new NamespaceGroup(selector);
      namespaceGroups.put(selector, made);
      namespaceGroupIndex.add(made.selector, made);
      namespacesByLabel.forEachCandidate(
          made.selector,
          namespaces.size(),
          namespaces.values(),
          ns -> {
            if (made.selector.matches(ns.labels)) {
              made.members.add(ns);
              ns.memberOf.add(made);
            }
          });
      g = made;
    }
    return g;
  }

  // ---------------------------------------------------------------------------------------------
  // Policies

  /** Creates or replaces the policy with {@code policy}'s UUID. Idempotent. */
  public void putPolicy(FirewallPolicy policy) {
    UUID uuid = policy.uuid();
    PolicyState old = policies.get(uuid);
    if (old != null && old.source.equals(policy)) {
      return;
    }
    // The new policy takes its groups before the old one lets go of its own, so a group both name
    // is kept, not torn down and computed again.
    PolicyState now = compile(policy);
    if (old != null
        && old.appliedTo == now.appliedTo
        && old.name.equals(now.name)
        && old.ingress == now.ingress
        && old.egress == now.egress) {
      // Same pods, same order, same isolation: the pods' policies change only in their rules.
      now.appliedTo.appliedBy.remove(old);
      now.appliedTo.appliedBy.add(now);
      for (Pod pod : now.appliedTo.members) {
        pod.replace(old, now);
      }
    } else {
      if (old != null) {
        detach(old);
      }
      attach(now);
    }
    policies.put(uuid, now);
    if (old != null) {
      old.groups().forEach(this::release);
    }
    delta.policy(uuid);
  }

  /** The policy {@code uuid} is gone. Idempotent. */
  public void removePolicy(UUID uuid) {
    PolicyState old = policies.remove(uuid);
    if (old == null) {
      return;
    }
    detach(old);
    old.groups().forEach(this::release);
    delta.policy(uuid);
  }

  private void attach(PolicyState p) {
    p.appliedTo.appliedBy.add(p);
    for (Pod pod : p.appliedTo.members) {
      delta.applied(pod);
      pod.apply(p);
    }
  }

  private void detach(PolicyState p) {
    p.appliedTo.appliedBy.remove(p);
    for (Pod pod : p.appliedTo.members) {
      delta.applied(pod);
      pod.unapply(p);
    }
  }

  private PolicyState compile(FirewallPolicy p) {
    String ns = p.namespace();
    PodGroup appliedTo = acquire(GroupKey.inNamespace(ns, p.podSelector()));
    Rule[] in = p.ingress() ? rules(ns, p.ingressRules()) : NO_RULES;
    Rule[] out = p.egress() ? rules(ns, p.egressRules()) : NO_RULES;
    return new PolicyState(p, displayName(p), appliedTo, in, out);
  }

  private Rule[] rules(String namespace, List<FirewallRule> rules) {
    Rule[] out = new Rule[rules.size()];
    for (int i = 0; i < out.length; i++) {
      FirewallRule r = rules.get(i);
      Peer[] peers = new Peer[r.peers().size()];
      for (int j = 0; j < peers.length; j++) {
        peers[j] = peer(namespace, r.peers().get(j));
      }
      Port[] ports = new Port[r.ports().size()];
      for (int j = 0; j < ports.length; j++) {
        ports[j] = new Port(r.ports().get(j));
      }
      out[i] = new Rule(r, peers, ports);
    }
    return out;
  }

  /**
   * A peer's group: a pod selector alone means the policy's own namespace; a namespace selector
   * (with or without a pod selector, which is then {@code {}}) the namespaces it selects.
   */
  private Peer peer(String namespace, FirewallPeer p) {
    if (p.ipBlock() != null) {
      return new Peer(p, null, new PolicyState.AddressBlock(p.ipBlock()));
    }
    GroupKey key =
        p.namespaceSelector() == null
            ? GroupKey.inNamespace(namespace, p.podSelector())
            : GroupKey.acrossNamespaces(p.namespaceSelector(), p.podSelector());
    return new Peer(p, acquire(key), null);
  }

  /**
   * How traces name a policy: {@code namespace/name} of the NetworkPolicy it was translated from
   * (its owner annotations), else its FQ name.
   */
  static String displayName(FirewallPolicy p) {
    Map<String, String> a = p.annotations();
    String name = a.get(Owner.NAME);
    if ("NetworkPolicy".equals(a.get(Owner.KIND)) && name != null && !name.isEmpty()) {
      String ns = a.get(Owner.NAMESPACE);
      return (ns == null || ns.isEmpty() ? p.namespace() : ns) + "/" + name;
    }
    return p.fqName().toString();
  }

  private static List<UUID> uuids(Bucket<Pod> pods) {
    if (pods.size() <= 1) {
      return pods.isEmpty() ? List.of() : List.of(pods.iterator().next().uuid);
    }
    List<UUID> out = new ArrayList<>(pods.size());
    for (Pod p : pods) {
      out.add(p.uuid);
    }
    out.sort(null);
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // The read side

  private final class View implements PolicyView {
    @Override
    public boolean egressAllows(
        UUID source, UUID destination, String destinationAddress, Protocol protocol, int port) {
      Pod src = pods.get(source);
      if (src == null || !src.egressIsolated) {
        return true;
      }
      Pod dst = destination == null ? null : pods.get(destination);
      if (dst == src) {
        return true;
      }
      for (PolicyState p : src.applied) {
        if (p.egress) {
          for (Rule r : p.egressRules) {
            if (r.allows(dst, destinationAddress, protocol, port, dst)) {
              return true;
            }
          }
        }
      }
      return false;
    }

    @Override
    public boolean ingressAllows(
        UUID destination, UUID source, String sourceAddress, Protocol protocol, int port) {
      Pod dst = pods.get(destination);
      if (dst == null || !dst.ingressIsolated) {
        return true;
      }
      Pod src = source == null ? null : pods.get(source);
      if (src == dst) {
        return true;
      }
      for (PolicyState p : dst.applied) {
        if (p.ingress) {
          for (Rule r : p.ingressRules) {
            if (r.allows(src, sourceAddress, protocol, port, dst)) {
              return true;
            }
          }
        }
      }
      return false;
    }

    @Override
    public PolicyDecision explainEgress(
        UUID source, UUID destination, String destinationAddress, Protocol protocol, int port) {
      return Explanations.explain(
          Direction.EGRESS,
          source,
          pods.get(source),
          destination == null ? null : pods.get(destination),
          destinationAddress,
          protocol,
          port);
    }

    @Override
    public PolicyDecision explainIngress(
        UUID destination, UUID source, String sourceAddress, Protocol protocol, int port) {
      return Explanations.explain(
          Direction.INGRESS,
          destination,
          pods.get(destination),
          source == null ? null : pods.get(source),
          sourceAddress,
          protocol,
          port);
    }

    @Override
    public List<GroupKey> groups() {
      List<GroupKey> out = new ArrayList<>(groups.keySet());
      out.sort(null);
      return out;
    }

    @Override
    public List<UUID> members(GroupKey group) {
      PodGroup g = groups.get(group);
      return g == null ? null : uuids(g.members);
    }

    @Override
    public List<UUID> policies() {
      List<UUID> out = new ArrayList<>(policies.keySet());
      out.sort(null);
      return out;
    }

    @Override
    public CompiledPolicy policy(UUID uuid) {
      PolicyState p = policies.get(uuid);
      if (p == null) {
        return null;
      }
      return new CompiledPolicy(
          p.uuid,
          p.name,
          p.appliedTo.key,
          p.ingress,
          p.egress,
          compiled(p.ingressRules),
          compiled(p.egressRules));
    }

    @Override
    public List<UUID> appliedPolicies(UUID pod) {
      Pod p = pods.get(pod);
      if (p == null) {
        return List.of();
      }
      List<UUID> out = new ArrayList<>(p.applied.length);
      for (PolicyState s : p.applied) {
        out.add(s.uuid);
      }
      return out;
    }

    @Override
    public List<ContainerPort> declaredPorts(UUID pod) {
      Pod p = pods.get(pod);
      return p == null ? List.of() : List.of(p.ports);
    }
  }

  private static List<CompiledPolicy.Rule> compiled(Rule[] rules) {
    List<CompiledPolicy.Rule> out = new ArrayList<>(rules.length);
    for (Rule r : rules) {
      List<CompiledPolicy.Peer> peers = new ArrayList<>(r.peers.length);
      for (Peer p : r.peers) {
        peers.add(
            p.group != null
                ? new CompiledPolicy.Peer(p.group.key, null)
                : new CompiledPolicy.Peer(null, p.source.ipBlock()));
      }
      out.add(new CompiledPolicy.Rule(peers, r.source.ports()));
    }
    return out;
  }
}
