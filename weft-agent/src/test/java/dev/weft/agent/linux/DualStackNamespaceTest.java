package dev.weft.agent.linux;

import static dev.weft.control.World.ip;
import static dev.weft.control.World.network;
import static dev.weft.control.World.pod;
import static dev.weft.control.World.router;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.weft.agent.cni.PodWiring;
import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * IPv6 on real namespaces: dual-stack pods on two nodes (an IPv4 underlay), IPv6 routed over VXLAN
 * through link-local next hops, and a converged node rewritten with nothing, which is what proves
 * the IPv6 forms the kernel prints (routes, neighbours, nftables elements) read back equal to the
 * rendered ones.
 */
class DualStackNamespaceTest {
  @Test
  void dualStackPodsReachEachOtherAcrossNodesOverIpv6() throws Exception {
    assumeTrue(Lab.available(), "needs root, ip, nft, socat, ping and bridge");
    VirtualRouter n1 = router("node-1", "172.31.250.1");
    VirtualRouter n2 = router("node-2", "172.31.250.2");
    VirtualNetwork net = network("dual");
    Pod a = pod("d", "a", net, n1, "10.60.0.1");
    Pod b = pod("d", "b", net, n2, "10.60.0.2");
    try (World world = new World();
        Lab lab = new Lab()) {
      world.put(n1, n2, net);
      world.put(a, b);
      world.put(ip("d-a-6", "fd00:60::1", net, a.vmi()), ip("d-b-6", "fd00:60::2", net, b.vmi()));
      String ns1 = lab.node("n1", "172.31.250.1");
      String ns2 = lab.node("n2", "172.31.250.2");
      NodeState s1 = world.read(v -> new NodeRenderer().render(v, "node-1"));
      NodeState s2 = world.read(v -> new NodeRenderer().render(v, "node-2"));
      assertThat(s1.pod(a.id()).addresses()).containsExactly("10.60.0.1", "fd00:60::1");
      lab.pod(ns2, "d-b", s2.pod(b.id()));
      LinuxNode node1 = new LinuxNode("node-1", lab.shell, ns1);
      LinuxNode node2 = new LinuxNode("node-2", lab.shell, ns2);
      assertThat(node1.reconcile(s1).waiting()).hasSize(1);
      node2.reconcile(s2);

      // The CNI makes a's veth after node-1 was programmed; the node is programmed for it without
      // reading the kernel, and a full reconcile afterwards finds nothing to add.
      String pa = lab.namespace("d-a");
      PodWiring.Wired wired =
          new PodWiring(lab.shell, ns1).add("d-a", "/var/run/netns/" + pa, "eth0", s1.pod(a.id()));
      assertThat(wired).isEqualTo(PodWiring.Wired.CREATED);
      ReconcileReport added =
          node1.vethAdded(
              s1, s1.pod(a.id()).hostDevice(), s1.pod(a.id()).mtu(), s1.pod(a.id()).hostMac());
      assertThat(added.reads()).isZero();
      assertThat(added.waiting()).isEmpty();
      assertThat(added.changes()).containsKeys("routes", "neighbors");

      assertThat(lab.ping(pa, "10.60.0.2")).isTrue();
      assertThat(
              lab.shell
                  .run(
                      List.of(
                          "ip",
                          "netns",
                          "exec",
                          pa,
                          "ping",
                          "-6",
                          "-c1",
                          "-W1",
                          "-q",
                          "fd00:60::2"),
                      null,
                      Duration.ofSeconds(5))
                  .ok())
          .as("ping fd00:60::2 from d/a")
          .isTrue();
      assertThat(node1.reconcile(s1).writes()).isZero();
      assertThat(node2.reconcile(s2).writes()).isZero();

      // CNI CHECK compares both families: the IPv6 default route and gateway neighbour included.
      PodWiring wiring = new PodWiring(lab.shell, ns1);
      String netns = "/var/run/netns/" + pa;
      assertThat(wiring.check("d-a", netns, "eth0", s1.pod(a.id()))).isEmpty();
      lab.run("ip", "-n", pa, "-6", "neigh", "del", "fe80::1", "dev", "eth0");
      lab.run("ip", "-n", pa, "-6", "route", "del", "default");
      assertThat(wiring.check("d-a", netns, "eth0", s1.pod(a.id())))
          .containsExactly(
              "no IPv6 default route via fe80::1 dev eth0 in " + netns,
              "no IPv6 neighbour entry for the gateway fe80::1 on eth0");
      wiring.add("d-a", netns, "eth0", s1.pod(a.id())); // ADD again repairs
      assertThat(wiring.check("d-a", netns, "eth0", s1.pod(a.id()))).isEmpty();

      // DEL: the node forgets what was on the veth without reading the kernel, and a full
      // reconcile afterwards agrees (nothing to write, a's veth awaited again).
      List<String> removed = wiring.delete("d-a");
      assertThat(removed).containsExactly(s1.pod(a.id()).hostDevice());
      ReconcileReport gone = node1.vethsRemoved(s1, removed);
      assertThat(gone.reads()).isZero();
      assertThat(gone.waiting()).hasSize(1);
      ReconcileReport after = node1.reconcile(s1);
      assertThat(after.writes()).as("%s", after).isZero();

      node1.teardown();
      node2.teardown();
      assertThat(lab.run("ip", "-n", ns1, "-6", "rule", "show")).doesNotContain("lookup 1");
    }
  }
}
