package dev.weft.control.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.model.ContainerPort;
import dev.weft.model.FirewallPeer;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.FirewallPort;
import dev.weft.model.FirewallRule;
import dev.weft.model.LabelRequirement;
import dev.weft.model.LabelSelector;
import dev.weft.model.Protocol;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random histories of namespace, pod and policy changes. Every few steps, the engine that followed
 * them incrementally must equal one built from scratch from the objects as they now are, fed in a
 * random order: the same groups with the same members, the same policies applied to each pod, the
 * same verdict for every pair of pods (and an outside host) on a few ports. Along the way, every
 * group's members must be exactly what its selectors match by a plain scan, and the deltas, applied
 * to a copy, must reproduce every group's members and name every interface whose policies changed.
 */
class PolicyEnginePropertyTest {
  private static final int STEPS = 300;
  private static final int CHECK_EVERY = 5;
  private static final int NAMESPACES = 4;
  private static final int PODS = 14;
  private static final int POLICIES = 6;
  private static final String OUTSIDE = "203.0.113.7";
  private static final List<String> KEYS = List.of("app", "tier", "role");
  private static final List<String> VALUES = List.of("web", "db", "x");
  private static final List<String> CIDRS =
      List.of("10.32.0.0/28", "10.32.0.0/30", "10.32.0.8/29", "0.0.0.0/0", "203.0.113.0/24");

  static LongStream seeds() {
    return LongStream.range(0, 40);
  }

  private record PodT(
      UUID id, String ns, String name, Map<String, String> labels, List<ContainerPort> ports) {}

  private final Map<String, Map<String, String>> declared = new TreeMap<>();
  private final Map<UUID, PodT> pods = new TreeMap<>();
  private final Map<UUID, FirewallPolicy> policies = new TreeMap<>();
  private final Map<UUID, String> addresses = new HashMap<>();
  private final Map<GroupKey, Set<UUID>> mirror = new HashMap<>();
  private final Map<UUID, List<String>> appliedBefore = new HashMap<>();

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void incrementalEqualsScratchAndDeltasReproduceTheState(long seed) {
    Random r = new Random(seed);
    PolicyEngine engine = new PolicyEngine();
    for (int i = 0; i < PODS; i++) {
      addresses.put(podId(i), "10.32.0." + (i + 1));
    }
    for (int step = 1; step <= STEPS; step++) {
      change(r, engine);
      String where = "seed " + seed + ", step " + step;
      followDelta(engine, where);
      if (step % CHECK_EVERY == 0) {
        PolicyEngine scratch = scratch(r);
        assertThat(snapshot(engine)).as(where).isEqualTo(snapshot(scratch));
        assertThat(verdicts(engine)).as(where).isEqualTo(verdicts(scratch));
        membersAreWhatTheSelectorsMatch(engine, where);
      }
    }
  }

  private void change(Random r, PolicyEngine engine) {
    int what = r.nextInt(10);
    if (what < 2) {
      String ns = "n" + r.nextInt(NAMESPACES);
      if (r.nextInt(4) == 0) {
        declared.remove(ns);
        engine.removeNamespace(ns);
      } else {
        Map<String, String> labels = new TreeMap<>();
        if (r.nextBoolean()) {
          labels.put("team", r.nextBoolean() ? "a" : "b");
        }
        if (r.nextBoolean()) {
          labels.put("env", r.nextBoolean() ? "prod" : "dev");
        }
        declared.put(ns, labels);
        engine.putNamespace(ns, labels);
      }
    } else if (what < 6) {
      int i = r.nextInt(PODS);
      UUID id = podId(i);
      if (r.nextInt(5) == 0) {
        pods.remove(id);
        engine.removePod(id);
      } else {
        PodT old = pods.get(id);
        // Mostly a label change of a pod that stays where it is; sometimes a pod made anew.
        String ns = old != null && r.nextInt(6) != 0 ? old.ns() : "n" + r.nextInt(NAMESPACES);
        PodT p = new PodT(id, ns, "p" + i, labels(r), ports(r));
        pods.put(id, p);
        engine.putPod(id, p.ns(), p.name(), p.labels(), p.ports());
      }
    } else {
      UUID id = policyId(r.nextInt(POLICIES));
      if (r.nextInt(4) == 0) {
        policies.remove(id);
        engine.removePolicy(id);
      } else {
        FirewallPolicy p = policy(r, id);
        policies.put(id, p);
        engine.putPolicy(p);
      }
    }
  }

  private PolicyEngine scratch(Random r) {
    List<Runnable> ops = new ArrayList<>();
    PolicyEngine e = new PolicyEngine();
    declared.forEach((ns, labels) -> ops.add(() -> e.putNamespace(ns, labels)));
    for (PodT p : pods.values()) {
      ops.add(() -> e.putPod(p.id(), p.ns(), p.name(), p.labels(), p.ports()));
    }
    for (FirewallPolicy p : policies.values()) {
      ops.add(() -> e.putPolicy(p));
    }
    Collections.shuffle(ops, r);
    ops.forEach(Runnable::run);
    return e;
  }

  /** Applies the delta to the copies, and checks them against the engine. */
  private void followDelta(PolicyEngine engine, String where) {
    PolicyDelta d = engine.drain();
    PolicyView v = engine.view();
    for (PolicyDelta.GroupChange c : d.groups()) {
      switch (c.kind()) {
        case CREATED -> mirror.put(c.group(), new HashSet<>(c.added()));
        case UPDATED -> {
          Set<UUID> members = mirror.get(c.group());
          assertThat(members).as(where + ": patch of an unknown group " + c.group()).isNotNull();
          for (UUID added : c.added()) {
            assertThat(members).as(where + ": added twice to " + c.group()).doesNotContain(added);
          }
          for (UUID removed : c.removed()) {
            assertThat(members).as(where + ": removed from " + c.group()).contains(removed);
          }
          members.addAll(c.added());
          members.removeAll(c.removed());
        }
        case DELETED -> mirror.remove(c.group());
      }
    }
    assertThat(new TreeMap<>(mirror).keySet()).as(where).containsExactlyElementsOf(v.groups());
    for (GroupKey k : v.groups()) {
      assertThat(new TreeMap<>(Map.of(k, sorted(mirror.get(k)))))
          .as(where)
          .isEqualTo(new TreeMap<>(Map.of(k, v.members(k))));
    }
    Set<UUID> touched = new HashSet<>(d.interfaces());
    Set<UUID> ids = new HashSet<>(appliedBefore.keySet());
    ids.addAll(pods.keySet());
    for (UUID pod : ids) {
      List<String> now = new ArrayList<>();
      for (UUID p : v.appliedPolicies(pod)) {
        CompiledPolicy c = v.policy(p);
        now.add(p + (c.ingress() ? " in" : "") + (c.egress() ? " out" : ""));
      }
      List<String> before = appliedBefore.getOrDefault(pod, List.of());
      if (!before.equals(now)) {
        assertThat(touched).as(where + ": interface " + pod + " changed policies").contains(pod);
      }
      if (now.isEmpty()) {
        appliedBefore.remove(pod);
      } else {
        appliedBefore.put(pod, now);
      }
    }
    for (UUID p : d.policies()) {
      assertThat(v.policy(p) == null).as(where).isEqualTo(!policies.containsKey(p));
    }
  }

  private void membersAreWhatTheSelectorsMatch(PolicyEngine engine, String where) {
    PolicyView v = engine.view();
    for (GroupKey k : v.groups()) {
      List<UUID> expected = new ArrayList<>();
      for (PodT p : pods.values()) {
        boolean inScope =
            k.namespace() != null
                ? k.namespace().equals(p.ns())
                : k.namespaceSelector().matches(namespaceLabels(p.ns()));
        if (inScope && k.podSelector().matches(p.labels())) {
          expected.add(p.id());
        }
      }
      expected.sort(null);
      assertThat(v.members(k)).as(where + ": members of " + k).isEqualTo(expected);
    }
  }

  /** Every group with its members, every policy as compiled, every pod's policies. */
  private static Map<String, Object> snapshot(PolicyEngine e) {
    PolicyView v = e.view();
    Map<String, Object> out = new TreeMap<>();
    for (GroupKey k : v.groups()) {
      out.put("group " + k, v.members(k));
    }
    for (UUID id : v.policies()) {
      out.put("policy " + id, v.policy(id));
    }
    for (int i = 0; i < PODS; i++) {
      out.put("pod " + i, v.appliedPolicies(podId(i)));
    }
    return out;
  }

  private Map<String, String> namespaceLabels(String ns) {
    Map<String, String> out = new HashMap<>(declared.getOrDefault(ns, Map.of()));
    out.put(PolicyEngine.NAMESPACE_NAME_LABEL, ns);
    return out;
  }

  private List<String> verdicts(PolicyEngine e) {
    PolicyView v = e.view();
    List<UUID> ends = new ArrayList<>();
    for (int i = 0; i < PODS; i++) {
      ends.add(podId(i));
    }
    ends.add(null); // outside
    List<String> out = new ArrayList<>();
    for (UUID s : ends) {
      StringBuilder row = new StringBuilder();
      for (UUID t : ends) {
        String sa = s == null ? OUTSIDE : addresses.get(s);
        String ta = t == null ? OUTSIDE : addresses.get(t);
        for (Object[] port :
            new Object[][] {
              {Protocol.TCP, 80}, {Protocol.TCP, 81}, {Protocol.UDP, 53}, {Protocol.TCP, 8080}
            }) {
          Protocol proto = (Protocol) port[0];
          int n = (Integer) port[1];
          boolean out1 = s == null || v.egressAllows(s, t, ta, proto, n);
          boolean in1 = t == null || v.ingressAllows(t, s, sa, proto, n);
          row.append(out1 ? '.' : 'o').append(in1 ? '.' : 'i');
        }
        row.append(' ');
      }
      out.add(row.toString());
    }
    return out;
  }

  private static UUID podId(int i) {
    return Policies.uuid("pod", "p" + i);
  }

  private static UUID policyId(int i) {
    return Policies.uuid("firewall-policy", "np" + i);
  }

  private static Map<String, String> labels(Random r) {
    Map<String, String> out = new TreeMap<>();
    for (String k : KEYS) {
      if (r.nextInt(3) != 0) {
        out.put(k, VALUES.get(r.nextInt(VALUES.size())));
      }
    }
    return out;
  }

  private static List<ContainerPort> ports(Random r) {
    List<ContainerPort> out = new ArrayList<>();
    if (r.nextBoolean()) {
      out.add(new ContainerPort("http", Protocol.TCP, r.nextBoolean() ? 80 : 8080));
    }
    if (r.nextInt(3) == 0) {
      out.add(new ContainerPort("dns", Protocol.UDP, 53));
    }
    return out;
  }

  private static LabelSelector selector(Random r) {
    Map<String, String> match = new TreeMap<>();
    if (r.nextInt(3) == 0) {
      match.put(KEYS.get(r.nextInt(KEYS.size())), VALUES.get(r.nextInt(VALUES.size())));
    }
    List<LabelRequirement> exprs = new ArrayList<>();
    int n = r.nextInt(3);
    for (int i = 0; i < n; i++) {
      String key = KEYS.get(r.nextInt(KEYS.size()));
      LabelRequirement.Operator op =
          LabelRequirement.Operator.values()[r.nextInt(LabelRequirement.Operator.values().length)];
      List<String> values = new ArrayList<>();
      if (op == LabelRequirement.Operator.IN || op == LabelRequirement.Operator.NOT_IN) {
        values.add(VALUES.get(r.nextInt(VALUES.size())));
        if (r.nextBoolean()) {
          values.add(VALUES.get(r.nextInt(VALUES.size())));
        }
      }
      exprs.add(new LabelRequirement(key, op, values));
    }
    return new LabelSelector(match, exprs);
  }

  private static LabelSelector namespaceSelector(Random r) {
    return switch (r.nextInt(6)) {
      case 0 -> LabelSelector.ALL;
      case 1 -> new LabelSelector(Map.of("team", r.nextBoolean() ? "a" : "b"), List.of());
      case 2 ->
          new LabelSelector(
              Map.of(),
              List.of(
                  new LabelRequirement("env", LabelRequirement.Operator.NOT_IN, List.of("prod"))));
      case 3 ->
          new LabelSelector(
              Map.of(),
              List.of(new LabelRequirement("team", LabelRequirement.Operator.EXISTS, List.of())));
      case 4 ->
          new LabelSelector(
              Map.of(PolicyEngine.NAMESPACE_NAME_LABEL, "n" + r.nextInt(NAMESPACES)), List.of());
      default ->
          new LabelSelector(
              Map.of(),
              List.of(
                  new LabelRequirement(
                      "team", LabelRequirement.Operator.DOES_NOT_EXIST, List.of())));
    };
  }

  private static FirewallPolicy policy(Random r, UUID id) {
    String ns = "n" + r.nextInt(NAMESPACES);
    Policies.Builder b = Policies.policy(ns, "np-" + id, selector(r));
    boolean ingress = r.nextInt(4) != 0;
    boolean egress = !ingress || r.nextBoolean();
    if (ingress) {
      b.ingress(rules(r));
    }
    if (egress) {
      b.egress(rules(r));
    }
    FirewallPolicy p = b.build();
    // The builder names UUIDs after the policy; keep the slot's, so updates replace.
    return new FirewallPolicy(
        id,
        p.fqName(),
        p.parent(),
        p.annotations(),
        p.namespace(),
        p.podSelector(),
        p.ingress(),
        p.egress(),
        p.ingressRules(),
        p.egressRules());
  }

  private static FirewallRule[] rules(Random r) {
    FirewallRule[] out = new FirewallRule[r.nextInt(3)];
    for (int i = 0; i < out.length; i++) {
      List<FirewallPeer> peers = new ArrayList<>();
      int n = r.nextInt(3);
      for (int j = 0; j < n; j++) {
        peers.add(
            switch (r.nextInt(4)) {
              case 0 -> Policies.pods(selector(r));
              case 1 -> Policies.namespaces(namespaceSelector(r));
              case 2 -> Policies.podsIn(namespaceSelector(r), selector(r));
              default ->
                  r.nextBoolean()
                      ? Policies.block(CIDRS.get(r.nextInt(CIDRS.size())))
                      : Policies.block("10.32.0.0/24", "10.32.0.0/29", "192.168.0.0/16");
            });
      }
      List<FirewallPort> ports = new ArrayList<>();
      int m = r.nextInt(3);
      for (int j = 0; j < m; j++) {
        ports.add(
            switch (r.nextInt(5)) {
              case 0 -> Policies.tcp(r.nextBoolean() ? 80 : 81);
              case 1 -> Policies.port(Protocol.TCP, 80, 8080);
              case 2 -> Policies.named(Protocol.TCP, "http");
              case 3 -> Policies.named(Protocol.UDP, "dns");
              default -> Policies.all(Protocol.UDP);
            });
      }
      out[i] = new FirewallRule(peers, ports);
    }
    return out;
  }

  private static List<UUID> sorted(Set<UUID> s) {
    List<UUID> out = new ArrayList<>(s == null ? Set.of() : s);
    out.sort(null);
    return out;
  }
}
