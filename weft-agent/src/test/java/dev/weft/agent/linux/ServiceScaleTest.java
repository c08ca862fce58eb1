package dev.weft.agent.linux;

import static dev.weft.control.World.link;
import static dev.weft.control.World.linked;
import static dev.weft.control.World.listener;
import static dev.weft.control.World.loadbalancer;
import static dev.weft.control.World.member;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pass;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.pool;
import static dev.weft.control.World.router;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.model.ConfigObject;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Figures, run on purpose ({@code -Dweft.scale=10000}), never in CI: programming N services of two
 * backends each into a node's kernel, a converged reconcile (the timer's), and adding one more
 * service with N present through {@link LinuxNode#update}. Prints what it measures.
 */
@EnabledIfSystemProperty(named = "weft.scale", matches = "\\d+")
class ServiceScaleTest {
  private static final Logger LOG = LoggerFactory.getLogger(ServiceScaleTest.class);

  @Test
  void programsManyServicesAndAddsOneMoreInAFewElements() throws Exception {
    assumeTrue(Lab.available(), "needs root, ip, nft, socat, ping and bridge");
    int n = Integer.getInteger("weft.scale");
    VirtualRouter n1 = router("node-1", "172.31.250.1");
    VirtualRouter n2 = router("node-2", "172.31.250.2");
    VirtualNetwork pods = network("pods");
    VirtualNetwork svc = network("svc");
    NetworkPolicy np = World.policy("pods-svc", pass(pods, "<>", svc));
    try (World world = new World();
        Lab lab = new Lab()) {
      world.put(n1, n2, np);
      world.put(linked(pods, link(np, 0)), linked(svc, link(np, 0)));
      List<Pod> backends = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        backends.add(pod("x", "p" + i, pods, i % 2 == 0 ? n1 : n2, "10.32.0." + (i + 1)));
      }
      world.put(backends.toArray(Pod[]::new));
      List<ConfigObject> batch = new ArrayList<>();
      for (int s = 0; s < n; s++) {
        batch.addAll(
            service("s" + s, "10.96." + (s / 250) + "." + (s % 250 + 1), svc, backends, s));
        if (batch.size() >= 5000 || s == n - 1) {
          world.put(batch.toArray(ConfigObject[]::new));
          batch.clear();
        }
      }
      LinuxNode node = new LinuxNode("node-1", lab.shell, lab.node("n1", "172.31.250.1"));

      long t = System.nanoTime();
      NodeState state = world.read(v -> new NodeRenderer().render(v, "node-1"));
      long render = millis(t);
      t = System.nanoTime();
      ReconcileReport first = node.reconcile(state);
      LOG.info(
          "{} services: render {} ms, first reconcile {} ms ({} nftables elements, {} chains)",
          n,
          render,
          millis(t),
          state.nft().elementCount(),
          state.nft().chains().size());
      t = System.nanoTime();
      assertThat(node.reconcile(state).writes()).isZero();
      LOG.info("{} services: converged reconcile (reads the kernel) {} ms", n, millis(t));

      // A running agent has rendered and updated many times: its renderer and diff are compiled
      // code. Add services one at a time, as a cluster does, and report the later adds.
      List<Long> renders = new ArrayList<>();
      List<Long> updates = new ArrayList<>();
      ReconcileReport one = null;
      for (int i = 0; i < 40; i++) {
        world.put(
            service("extra" + i, "10.97.0." + (i + 1), svc, backends, i)
                .toArray(ConfigObject[]::new));
        t = System.nanoTime();
        NodeState more = world.read(v -> new NodeRenderer().render(v, "node-1"));
        renders.add(micros(t));
        t = System.nanoTime();
        one = node.update(more);
        updates.add(micros(t));
      }
      LOG.info(
          "one more service with {} present, adds 21-40: render p50 {} ms max {} ms,"
              + " kernel update p50 {} ms max {} ms, changes {}",
          n,
          p50(renders.subList(20, 40)),
          max(renders.subList(20, 40)),
          p50(updates.subList(20, 40)),
          max(updates.subList(20, 40)),
          one.changes());
      assertThat(one.changes()).containsOnlyKeys("nft");
      assertThat(first.errors()).isEmpty();
      node.teardown();
    }
  }

  private static List<ConfigObject> service(
      String name, String vip, VirtualNetwork network, List<Pod> backends, int s) {
    Loadbalancer lb = loadbalancer(name, vip, network);
    LoadbalancerListener l = listener(lb, Protocol.TCP, 80, null);
    LoadbalancerPool p = pool(l);
    return List.of(
        lb,
        l,
        p,
        member(p, backends.get(s % 20), 1000 + s),
        member(p, backends.get((s + 7) % 20), 1000 + s));
  }

  private static long micros(long since) {
    return (System.nanoTime() - since) / 1_000;
  }

  private static String p50(List<Long> micros) {
    List<Long> sorted = new ArrayList<>(micros);
    sorted.sort(null);
    return String.format("%.1f", sorted.get(sorted.size() / 2) / 1000.0);
  }

  private static String max(List<Long> micros) {
    return String.format(
        "%.1f", micros.stream().mapToLong(Long::longValue).max().orElse(0) / 1000.0);
  }

  private static long millis(long since) {
    return (System.nanoTime() - since) / 1_000_000;
  }
}
