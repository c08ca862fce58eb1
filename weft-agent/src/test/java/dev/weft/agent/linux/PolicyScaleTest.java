package dev.weft.agent.linux;

import static dev.weft.control.World.labelled;
import static dev.weft.control.World.namespace;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.router;
import static dev.weft.control.policy.Policies.labels;
import static dev.weft.control.policy.Policies.peers;
import static dev.weft.control.policy.Policies.ports;
import static dev.weft.control.policy.Policies.sel;
import static dev.weft.control.policy.Policies.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.control.policy.Policies;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Figures, run on purpose ({@code -Dweft.policy.pods=1000}), never in CI: a NetworkPolicy change
 * that selects N pods of one node, from the store write to the node's kernel holding it (compile,
 * render, {@link LinuxNode#update}). The pods' host veths exist (their peers stay in the node's
 * namespace: only the host side matters to the node's programming). Prints what it measures.
 */
@EnabledIfSystemProperty(named = "weft.policy.pods", matches = "\\d+")
class PolicyScaleTest {
  private static final Logger LOG = LoggerFactory.getLogger(PolicyScaleTest.class);

  @Test
  void aPolicySelectingManyPodsTakesEffectInOneNftablesTransaction() throws Exception {
    assumeTrue(Lab.available(), "needs root, ip, nft, socat, ping and bridge");
    int n = Integer.getInteger("weft.policy.pods");
    VirtualRouter n1 = router("node-1", "172.31.250.1");
    VirtualNetwork pods = network("pods");
    try (World world = new World();
        Lab lab = new Lab()) {
      world.put(n1, pods, namespace("x", labels("ns=x")));
      List<Pod> all = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String role = i % 10 == 0 ? "client" : "web";
        all.add(
            labelled(
                pod("x", "p" + i, pods, n1, "10.32." + (i / 250) + "." + (i % 250 + 1)),
                labels("app=" + role)));
      }
      world.put(all.toArray(Pod[]::new));
      String ns = lab.node("n1", "172.31.250.1");
      NodeState before = world.read(v -> new NodeRenderer().render(v, "node-1"));
      StringBuilder batch = new StringBuilder();
      int k = 0;
      for (NodeState.PodInterface p : before.interfaces()) {
        batch
            .append("link add ")
            .append(p.hostDevice())
            .append(" type veth peer name q")
            .append(k++)
            .append('\n');
      }
      lab.shell.check(List.of("ip", "-n", ns, "-batch", "-"), batch.toString());
      LinuxNode node = new LinuxNode("node-1", lab.shell, ns);
      ReconcileReport first = node.reconcile(before);
      assertThat(first.waiting()).isEmpty();

      FirewallPolicy webFromClients =
          Policies.policy("x", "web-from-clients", sel("app=web"))
              .ingress(Policies.rule(peers(Policies.pods(sel("app=client"))), ports(tcp(80))))
              .build();
      long t = System.nanoTime();
      world.put(webFromClients);
      long compiled = System.nanoTime();
      NodeState after = world.read(v -> new NodeRenderer().render(v, "node-1"));
      long rendered = System.nanoTime();
      ReconcileReport applied = node.update(after);
      long done = System.nanoTime();
      LOG.info(
          "policy selecting {} of {} pods: compiled {} ms, rendered {} ms, kernel {} ms,"
              + " total {} ms; changes {}",
          n - n / 10,
          n,
          (compiled - t) / 1_000_000,
          (rendered - compiled) / 1_000_000,
          (done - rendered) / 1_000_000,
          (done - t) / 1_000_000,
          applied.changes());
      assertThat(applied.changes()).containsOnlyKeys("nft");
      assertThat(node.reconcile(after).writes()).isZero();
      node.teardown();
    }
  }
}
