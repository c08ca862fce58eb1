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

import com.fasterxml.jackson.databind.JsonNode;
import dev.weft.agent.Shell;
import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.Protocol;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Figures, run on purpose ({@code -Dweft.throughput=5}, seconds per case), never in CI: TCP
 * throughput measured with iperf3 between pods wired and programmed by the Linux dataplane on two
 * Lab nodes: across nodes (VXLAN), on one node, and through a service VIP (DNAT) across nodes; and,
 * as the baseline, node to node over the underlay before Weft programs anything (and again after).
 * One stream and four ({@code -P 4}) per case. Skipped without iperf3. Prints what it measures.
 */
@EnabledIfSystemProperty(named = "weft.throughput", matches = "\\d+")
class ThroughputTest {
  private static final String NODE1 = "node-1";
  private static final String NODE2 = "node-2";
  private static final String NODE1_ADDRESS = "172.31.250.1";
  private static final String NODE2_ADDRESS = "172.31.250.2";
  private static final String VIP = "10.96.0.10";
  private static final int PORT = 5201;

  /** One iperf3 run's figures, from its {@code -J} report. */
  private record Figures(
      String label,
      int streams,
      double gbits,
      long retransmits,
      double clientCpu,
      double serverCpu) {
    static Figures of(String label, int streams, JsonNode report) {
      JsonNode end = report.path("end");
      return new Figures(
          label,
          streams,
          end.path("sum_received").path("bits_per_second").asDouble() / 1e9,
          end.path("sum_sent").path("retransmits").asLong(),
          end.path("cpu_utilization_percent").path("host_total").asDouble(),
          end.path("cpu_utilization_percent").path("remote_total").asDouble());
    }

    String row() {
      return String.format(
          "%-44s %3d %10.2f %8d %9.0f %9.0f",
          label, streams, gbits, retransmits, clientCpu, serverCpu);
    }
  }

  @Test
  void measuresPodToPodThroughputAcrossNodesOnOneNodeAndThroughAServiceVip() throws Exception {
    assumeTrue(Lab.available(), "needs root, ip, nft, socat, ping and bridge");
    assumeTrue(onPath("iperf3"), "needs iperf3");
    int seconds = Integer.getInteger("weft.throughput");
    VirtualRouter n1 = router(NODE1, NODE1_ADDRESS);
    VirtualRouter n2 = router(NODE2, NODE2_ADDRESS);
    VirtualNetwork red = network("red");
    VirtualNetwork svc = network("svc");
    NetworkPolicy redSvc = World.policy("red-svc", pass(red, "<>", svc));
    Pod a = pod("x", "a", red, n1, "10.32.0.1");
    Pod b = pod("x", "b", red, n2, "10.32.0.2");
    Pod c = pod("x", "c", red, n1, "10.32.0.3");
    // One backend only: iperf3's control and data connections must reach the same server, and
    // with two backends the hash would split them.
    Loadbalancer lb = loadbalancer("iperf", VIP, svc);
    LoadbalancerListener l = listener(lb, Protocol.TCP, PORT, null);
    LoadbalancerPool p = pool(l);
    List<Figures> figures = new ArrayList<>();
    try (World world = new World();
        Lab lab = new Lab()) {
      world.put(n1, n2, redSvc);
      world.put(linked(red, link(redSvc, 0)), linked(svc, link(redSvc, 0)));
      world.put(a, b, c);
      world.put(lb, l, p, member(p, b, PORT));
      String ns1 = lab.node("n1", NODE1_ADDRESS);
      String ns2 = lab.node("n2", NODE2_ADDRESS);
      measure(lab, "node->node, underlay, no Weft", ns2, ns1, NODE2_ADDRESS, seconds, figures);

      NodeState s1 = world.read(v -> new NodeRenderer().render(v, NODE1));
      NodeState s2 = world.read(v -> new NodeRenderer().render(v, NODE2));
      String podA = lab.pod(ns1, "a", s1.pod(a.id()));
      String podC = lab.pod(ns1, "c", s1.pod(c.id()));
      String podB = lab.pod(ns2, "b", s2.pod(b.id()));
      assertThat(new LinuxNode(NODE1, lab.shell, ns1).reconcile(s1).errors()).isEmpty();
      assertThat(new LinuxNode(NODE2, lab.shell, ns2).reconcile(s2).errors()).isEmpty();
      assertThat(lab.ping(podA, b.address())).as("a reaches b across nodes").isTrue();
      assertThat(lab.ping(podA, c.address())).as("a reaches c on its node").isTrue();

      measure(lab, "pod->pod, across nodes (VXLAN)", podB, podA, b.address(), seconds, figures);
      measure(lab, "pod->pod, same node", podC, podA, c.address(), seconds, figures);
      measure(lab, "pod->service VIP (DNAT), across nodes", podB, podA, VIP, seconds, figures);
      measure(
          lab, "node->node, underlay, Weft programmed", ns2, ns1, NODE2_ADDRESS, seconds, figures);
    }
    StringBuilder out = new StringBuilder();
    out.append(
        String.format(
            "%nTCP throughput, iperf3 %d s per run, Lab namespaces on one machine (%d cores; every"
                + " byte crosses veths in one kernel: a ceiling on forwarding cost, not a NIC)%n",
            seconds, Runtime.getRuntime().availableProcessors()));
    out.append(
        String.format(
            "%-44s %3s %10s %8s %9s %9s%n",
            "path", "-P", "Gbit/s", "retrans", "client %", "server %"));
    figures.forEach(f -> out.append(f.row()).append('\n'));
    out.append("load average: ").append(Files.readString(Path.of("/proc/loadavg")).strip());
    System.out.println(out);
    assertThat(figures).allSatisfy(f -> assertThat(f.gbits()).isPositive());
  }

  /** iperf3 from {@code clientNs} to a one-off server in {@code serverNs}, one and four streams. */
  private static void measure(
      Lab lab,
      String label,
      String serverNs,
      String clientNs,
      String address,
      int seconds,
      List<Figures> into)
      throws Exception {
    for (int streams : List.of(1, 4)) {
      Process server =
          new ProcessBuilder("ip", "netns", "exec", serverNs, "iperf3", "-s", "-1", "-p", "" + PORT)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      try {
        Awaitility.await()
            .atMost(Duration.ofSeconds(5))
            .pollInterval(Duration.ofMillis(20))
            .until(
                () ->
                    !lab.run("ip", "netns", "exec", serverNs, "ss", "-Hltn", "sport = :" + PORT)
                        .isBlank());
        Shell.Result r =
            lab.shell.run(
                List.of(
                    "ip",
                    "netns",
                    "exec",
                    clientNs,
                    "iperf3",
                    "-c",
                    address,
                    "-p",
                    "" + PORT,
                    "-t",
                    "" + seconds,
                    "-P",
                    "" + streams,
                    "-J"),
                null,
                Duration.ofSeconds(seconds + 30L));
        JsonNode report = CniClient.JSON.readTree(r.stdout());
        if (!r.ok() || report.has("error")) {
          throw new IllegalStateException(
              label + ": iperf3 -c " + address + " failed: " + report.path("error") + r.stderr());
        }
        into.add(Figures.of(label, streams, report));
      } finally {
        if (!server.waitFor(5, TimeUnit.SECONDS)) {
          server.descendants().forEach(ProcessHandle::destroy);
          server.destroy();
          server.waitFor(5, TimeUnit.SECONDS);
        }
      }
    }
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(dir, tool).canExecute()) {
        return true;
      }
    }
    return false;
  }
}
