package dev.weft.agent.linux;

import dev.weft.agent.ProcessShell;
import dev.weft.agent.Shell;
import dev.weft.agent.cni.PodWiring;
import dev.weft.agent.linux.NodeState.PodInterface;
import java.io.File;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/**
 * For tests: network namespaces on this machine as an underlay (a bridge), nodes (a veth into the
 * bridge each) and pods (a veth into their node, wired as the CNI will wire them), plus servers
 * started in pods. Every name starts with a random prefix of this lab, and {@link #close} removes
 * everything it made, servers first (a process inside a namespace keeps it alive).
 */
final class Lab implements AutoCloseable {
  static final String UNDERLAY_PREFIX = "172.31.250.";

  final String prefix = "wt" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt(), 4);
  final Shell shell = new ProcessShell();
  private final List<String> namespaces = new ArrayList<>();
  private final List<Process> servers = new ArrayList<>();
  private String underlay;
  private int veths;

  /** Whether this machine can run the lab: root, with ip, nft and socat on the PATH. */
  static boolean available() {
    if (!"root".equals(System.getProperty("user.name"))) {
      return false;
    }
    for (String tool : List.of("ip", "nft", "socat", "ping", "bridge")) {
      if (!onPath(tool)) {
        return false;
      }
    }
    return true;
  }

  private static boolean onPath(String tool) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      if (new File(dir, tool).canExecute()) {
        return true;
      }
    }
    return new File("/usr/sbin/" + tool).canExecute() || new File("/sbin/" + tool).canExecute();
  }

  String run(String... argv) {
    return shell.check(List.of(argv)).stdout();
  }

  String namespace(String name) {
    String ns = prefix + "-" + name;
    run("ip", "netns", "add", ns);
    namespaces.add(ns);
    run("ip", "-n", ns, "link", "set", "lo", "up");
    return ns;
  }

  /** A node's namespace on the underlay bridge, with {@code address}/24 on its eth0. */
  String node(String name, String address) {
    return node(name, address, 24);
  }

  /**
   * Gives node {@code nodeNs} a default route via the gateway ({@link LinuxGateway#ADDRESS}, which
   * must be on its subnet), as a real node has one to its fabric gateway: the replies to the
   * outside host ({@link LinuxGateway#CLIENT}) take it.
   */
  void routeViaGateway(String nodeNs) {
    run("ip", "-n", nodeNs, "route", "add", "default", "via", LinuxGateway.ADDRESS);
  }

  private String node(String name, String address, int prefixLength) {
    if (underlay == null) {
      underlay = namespace("underlay");
      run("ip", "-n", underlay, "link", "add", "br0", "type", "bridge");
      run("ip", "-n", underlay, "link", "set", "br0", "up");
    }
    String ns = namespace(name);
    String port = "port" + (veths++);
    run(
        "ip", "-n", underlay, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
        ns);
    run("ip", "-n", underlay, "link", "set", port, "master", "br0", "up");
    run("ip", "-n", ns, "addr", "add", address + "/" + prefixLength, "dev", "eth0");
    run("ip", "-n", ns, "link", "set", "eth0", "up");
    return ns;
  }

  /**
   * The gateway router's namespace on the underlay bridge, with {@link LinuxGateway#ADDRESS} on its
   * eth0; a {@link LinuxGateway} programs the rest (the outside host's address among it).
   */
  String gateway(String name) {
    return node(name, LinuxGateway.ADDRESS, LinuxGateway.PREFIX_LENGTH);
  }

  /**
   * A pod's namespace with its interface wired into {@code nodeNs} by the agent's own {@link
   * PodWiring}, as a CNI ADD wires it: the veth pair, the pod side ({@code eth0}) with the
   * interface's MAC and addresses, a default route through the link-local gateway and a permanent
   * neighbour entry for it.
   */
  String pod(String nodeNs, String name, PodInterface p) {
    String ns = namespace(name);
    new PodWiring(shell, nodeNs).add(name, "/var/run/netns/" + ns, "eth0", p);
    return ns;
  }

  /** A TCP server in {@code ns} on {@code port} answering every connection with {@code reply}. */
  void serve(String ns, int port, String reply) throws IOException {
    Process p =
        new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                ns,
                "socat",
                "TCP-LISTEN:" + port + ",fork,reuseaddr",
                "EXEC:echo " + reply)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    servers.add(p);
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> !run("ip", "netns", "exec", ns, "ss", "-Hltn", "sport = :" + port).isBlank());
  }

  /** Whether {@code ns} gets an echo reply from {@code address} within a second. */
  boolean ping(String ns, String address) {
    return shell
        .run(
            List.of("ip", "netns", "exec", ns, "ping", "-c1", "-W1", "-q", address),
            null,
            Duration.ofSeconds(5))
        .ok();
  }

  /**
   * What a TCP connection from {@code ns}, from {@code sourcePort}, to {@code address}:{@code port}
   * reads, or null when it cannot connect within a second.
   */
  String connect(String ns, String address, int port, int sourcePort) {
    Shell.Result r =
        shell.run(
            List.of(
                "ip",
                "netns",
                "exec",
                ns,
                "socat",
                "-T1",
                "-u",
                "TCP:"
                    + address
                    + ":"
                    + port
                    + ",connect-timeout=1,sourceport="
                    + sourcePort
                    + ",reuseaddr",
                "STDOUT"),
            null,
            Duration.ofSeconds(5));
    return r.ok() && !r.stdout().isBlank() ? r.stdout().strip() : null;
  }

  List<String> namespaces() {
    return Collections.unmodifiableList(namespaces);
  }

  /** Stops the servers, then deletes pods', nodes' and the underlay's namespaces. */
  @Override
  public void close() {
    for (Process p : servers) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
    }
    for (Process p : servers) {
      try {
        if (!p.waitFor(5, TimeUnit.SECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    servers.clear();
    List<String> reversed = new ArrayList<>(namespaces);
    Collections.reverse(reversed);
    for (String ns : reversed) {
      shell.run(List.of("ip", "netns", "del", ns), null, Duration.ofSeconds(10));
    }
    namespaces.clear();
  }
}
