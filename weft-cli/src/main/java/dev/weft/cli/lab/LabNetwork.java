package dev.weft.cli.lab;

import dev.weft.agent.Shell;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The lab's network namespaces: an underlay with a bridge, one namespace per node with its eth0 on
 * the bridge (and its default route via the gateway), the gateway's namespace on the bridge, and
 * the pods' namespaces. Every namespace and every device made outside a namespace of its own
 * carries the lab's {@link #prefix}, so two labs never clash and a leftover is easy to find.
 * Thread-safe.
 */
final class LabNetwork {
  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

  private final String prefix;
  private final Shell shell;
  private final List<String> namespaces = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, String> nodes = new LinkedHashMap<>();
  private String underlay;
  private String bridge;
  private int ports;

  LabNetwork(String prefix, Shell shell) {
    this.prefix = prefix;
    this.shell = shell;
  }

  String prefix() {
    return prefix;
  }

  String underlay() {
    return underlay;
  }

  /** Node name to its namespace. */
  synchronized Map<String, String> nodes() {
    return Map.copyOf(nodes);
  }

  void run(String... argv) {
    shell.run(List.of(argv), null, COMMAND_TIMEOUT).check();
  }

  /** A new namespace {@code PREFIX-suffix} with its loopback up. */
  String namespace(String suffix) {
    String ns = prefix + "-" + suffix;
    run("ip", "netns", "add", ns);
    namespaces.add(ns);
    run("ip", "-n", ns, "link", "set", "lo", "up");
    return ns;
  }

  /** Deletes a namespace this lab made (what is inside goes with it: veths, routes, nftables). */
  void deleteNamespace(String ns) {
    shell.run(List.of("ip", "netns", "del", ns), null, COMMAND_TIMEOUT);
    namespaces.remove(ns);
  }

  private synchronized void ensureUnderlay() {
    if (underlay != null) {
      return;
    }
    underlay = namespace("u");
    bridge = prefix + "-br";
    run("ip", "-n", underlay, "link", "add", bridge, "type", "bridge");
    run("ip", "-n", underlay, "link", "set", bridge, "up");
  }

  /**
   * A namespace ({@code PREFIX-suffix}) attached to the underlay: its eth0 with {@code
   * address}/{@code prefixLength}, the other end of the veth on the bridge.
   */
  synchronized String attached(String suffix, String address, int prefixLength) {
    ensureUnderlay();
    String ns = namespace(suffix);
    // Short device names (15 characters at most) that still carry the prefix.
    String port = prefix + "-" + (ports++);
    run(
        "ip", "-n", underlay, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns",
        ns);
    run("ip", "-n", underlay, "link", "set", port, "master", bridge, "up");
    run("ip", "-n", ns, "addr", "add", address + "/" + prefixLength, "dev", "eth0");
    run("ip", "-n", ns, "link", "set", "eth0", "up");
    return ns;
  }

  /**
   * A node's namespace on the underlay, with a default route via the gateway router's underlay
   * address, as a real node has one to its fabric gateway: the agent routes the replies of flows
   * from outside by the main table, and the outside host's address is not on the underlay.
   */
  synchronized String node(String name, String address) {
    String ns = attached("n-" + name, address, 24);
    run("ip", "-n", ns, "route", "add", "default", "via", LabGateway.address());
    nodes.put(name, ns);
    return ns;
  }

  /** Every namespace this lab still has, newest first. */
  List<String> namespaces() {
    synchronized (namespaces) {
      List<String> out = new ArrayList<>(namespaces);
      Collections.reverse(out);
      return out;
    }
  }

  /** Deletes every namespace this lab made, newest (pods) first, the underlay last. */
  void close() {
    for (String ns : namespaces()) {
      deleteNamespace(ns);
    }
  }
}
