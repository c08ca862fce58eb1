package dev.weft.control.policy;

import static dev.weft.control.World.labelled;
import static dev.weft.control.World.namespace;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.router;
import static dev.weft.control.policy.Policies.from;
import static dev.weft.control.policy.Policies.labels;
import static dev.weft.control.policy.Policies.namespaces;
import static dev.weft.control.policy.Policies.policy;
import static dev.weft.control.policy.Policies.sel;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.control.Compiler;
import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.Names;
import dev.weft.model.Owner;
import dev.weft.model.Project;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * NetworkPolicy through the store and the compiler: firewall policies, pods' labels on their
 * interfaces and namespaces' labels on their projects reach the engine as they change, the policy
 * listeners hear each batch's delta, and a compiler started later over the same store compiles the
 * same state.
 */
class PolicyCompilationTest {
  private final World world = new World();
  private final VirtualRouter node = router("node-1", "192.168.0.1");
  private final VirtualNetwork pods = network("pods");
  private final Pod xa = labelled(pod("x", "a", pods, node, "10.32.0.1"), labels("pod=a"));
  private final Pod xb = labelled(pod("x", "b", pods, node, "10.32.0.2"), labels("pod=b"));
  private final Pod da = labelled(pod("default", "a", pods, node, "10.32.1.1"), labels("pod=a"));
  private final List<PolicyDelta> deltas = new CopyOnWriteArrayList<>();

  @AfterEach
  void close() {
    world.close();
  }

  private void setUp() {
    world.compiler().addPolicyListener(deltas::add);
    world.put(node, pods);
    world.put(namespace("x", labels("ns=x")));
    world.put(xa, xb, da);
  }

  private boolean ingress(Pod from, Pod to) {
    return world.read(
        v -> v.policies().ingressAllows(to.id(), from.id(), from.address(), Protocol.TCP, 80));
  }

  /** The cluster's project for {@code default}, as the kube-manager's cluster key writes it. */
  private static Project defaultProject(Map<String, String> labels) {
    return new Project(
        World.uuid("project", "k8s-default"),
        Names.projectFq("k8s", "default"),
        null,
        Owner.cluster("k8s").annotations(),
        labels);
  }

  @Test
  void policiesPodLabelsAndNamespaceLabelsReachTheEngineAsTheyChange() {
    setUp();
    FirewallPolicy p =
        policy("x", "from-web", sel("pod=b")).ingress(from(namespaces(sel("role=web")))).build();
    world.put(p);
    assertThat(ingress(xa, xb)).isFalse();
    assertThat(ingress(da, xb)).isFalse();

    world.put(defaultProject(labels("role=web")));
    assertThat(ingress(da, xb)).isTrue(); // default's labels are on the cluster's project

    world.put(namespace("x", labels("ns=x,role=web")));
    assertThat(ingress(xa, xb)).isTrue();

    world.put(labelled(xb, labels("pod=other")));
    assertThat(ingress(da, xb)).isTrue();
    assertThat(world.<List<UUID>>read(v -> v.policies().appliedPolicies(xb.id()))).isEmpty();

    world.put(xb);
    world.delete(p);
    assertThat(world.<List<UUID>>read(v -> v.policies().policies())).isEmpty();
    assertThat(ingress(da, xb)).isTrue();
  }

  @Test
  void eachBatchTellsTheListenersWhatItChanged() {
    setUp();
    deltas.clear();
    FirewallPolicy p = policy("x", "deny", sel("pod=b")).ingress().build();
    world.put(p);
    assertThat(deltas).hasSize(1);
    assertThat(deltas.get(0).policies()).containsExactly(p.uuid());
    assertThat(deltas.get(0).interfaces()).containsExactly(xb.id());
    assertThat(deltas.get(0).groups())
        .containsExactly(
            new PolicyDelta.GroupChange(
                GroupKey.inNamespace("x", sel("pod=b")),
                PolicyDelta.Kind.CREATED,
                List.of(xb.id()),
                List.of()));

    world.put(labelled(xa, labels("pod=b")));
    assertThat(deltas).hasSize(2);
    assertThat(deltas.get(1).groups().get(0).added()).containsExactly(xa.id());

    world.put(node); // nothing of NetworkPolicy's: no delta
    assertThat(deltas).hasSize(2);
  }

  @Test
  void aDeletedPodInterfaceLeavesItsGroups() {
    setUp();
    world.put(
        policy("x", "from-a", sel("pod=b")).ingress(from(Policies.pods(sel("pod=a")))).build());
    assertThat(ingress(xa, xb)).isTrue();
    world.delete(xa.vmi());
    GroupKey peers = GroupKey.inNamespace("x", sel("pod=a"));
    assertThat(world.<List<UUID>>read(v -> v.policies().members(peers))).isEmpty();
  }

  @Test
  void aCompilerStartedLaterCompilesTheSamePolicyState() throws Exception {
    setUp();
    world.put(defaultProject(labels("team=a")));
    world.put(
        policy("x", "p1", sel("")).ingress(from(namespaces(sel("team=a")))).build(),
        policy("default", "p2", sel("pod=a")).egress(from(Policies.pods(sel("")))).build());
    List<AutoCloseable> closing = new ArrayList<>();
    try {
      Compiler fresh = world.fresh(closing);
      assertThat(state(fresh)).isEqualTo(state(world.compiler())).isNotEmpty();
    } finally {
      for (AutoCloseable c : closing) {
        c.close();
      }
    }
  }

  /** Groups with members, policies, and each pod's policies, as plain values. */
  static Map<String, Object> state(Compiler c) {
    return c.read(
        v -> {
          Map<String, Object> out = new LinkedHashMap<>();
          PolicyView p = v.policies();
          for (GroupKey k : p.groups()) {
            out.put("group " + k, p.members(k));
          }
          for (UUID id : p.policies()) {
            out.put("policy " + id, p.policy(id));
          }
          v.endpoints().stream()
              .map(e -> e.interfaceUuid())
              .sorted()
              .forEach(id -> out.put("applied " + id, p.appliedPolicies(id)));
          return out;
        });
  }
}
