package dev.weft.agent.cni;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.weft.agent.CommandFailedException;
import dev.weft.agent.Shell;
import dev.weft.agent.linux.Naming;
import dev.weft.agent.linux.NodeState.PodInterface;
import dev.weft.cni.ErrorCodes;
import dev.weft.model.IpPrefix;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Wires pods' veths as {@code weft-cni/PROTOCOL.md} says: the host side ({@link
 * PodInterface#hostDevice()}, {@link Naming#HOST_MAC}, alias {@code weft:<containerId>}) in the
 * node's namespace, the pod side renamed to the CNI's interface name in the pod's namespace, with
 * the interface's MAC, host-prefix addresses, a default route through the link-local gateway and a
 * permanent neighbour entry for it. The alias is how a restarted agent, and DEL and GC, know which
 * container a veth belongs to.
 *
 * <p>Not thread-safe: run it on the agent's kernel thread, as {@link
 * dev.weft.agent.linux.LinuxNode} (which then programs routes and nftables around the veth).
 */
public final class PodWiring {
  /** What the host side's alias starts with; the container id follows. */
  public static final String ALIAS_PREFIX = "weft:";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Shell shell;
  private final String nodeNetns;

  /**
   * @param nodeNetns the namespace that is the node (an {@code ip netns} name), or null for this
   *     process's
   */
  public PodWiring(Shell shell, String nodeNetns) {
    this.shell = shell;
    this.nodeNetns = nodeNetns;
  }

  /** Weft's pods' host veths on the node: device name to container id ("" when it has no alias). */
  public Map<String, String> containers() {
    Shell.Result r = shell.check(nodeIp("-j", "link", "show", "type", "veth"));
    Map<String, String> out = new TreeMap<>();
    try {
      JsonNode links = jsonArray(r);
      for (JsonNode l : links) {
        String name = l.path("ifname").asText();
        if (name.startsWith(Naming.POD_DEVICE_PREFIX)) {
          String alias = l.path("ifalias").asText("");
          out.put(
              name, alias.startsWith(ALIAS_PREFIX) ? alias.substring(ALIAS_PREFIX.length()) : "");
        }
      }
    } catch (IOException e) {
      throw new CommandFailedException(r.argv(), "printed JSON that cannot be read: " + e, e);
    }
    return out;
  }

  /**
   * Wires {@code p} for container {@code containerId} into {@code netns} as {@code ifName}.
   * Idempotent: when the host veth already carries this container's alias, only the pod side's
   * settings are applied again (each a replace). A veth of the same interface left by another
   * container (a sandbox created again) is replaced.
   *
   * @throws CniException when the pod's namespace does not exist, or a command failed (the veth is
   *     then removed again)
   */
  public Wired add(String containerId, String netns, String ifName, PodInterface p) {
    if (!Files.exists(Path.of(netns))) {
      throw new CniException(
          ErrorCodes.UNKNOWN_CONTAINER,
          "network namespace " + netns + " does not exist",
          "container " + containerId + ": CNI_NETNS " + netns + " is not there (sandbox gone?)");
    }
    Map<String, String> have = containers();
    boolean removed = false;
    for (Map.Entry<String, String> e : have.entrySet()) {
      if (e.getValue().equals(containerId) && !e.getKey().equals(p.hostDevice())) {
        deleteLink(e.getKey()); // this container's veth for an interface it no longer has
        removed = true;
      }
    }
    String owner = have.get(p.hostDevice());
    if (containerId.equals(owner)) {
      podSide(netns, ifName, p);
      return removed ? Wired.REPLACED : Wired.REAPPLIED;
    }
    if (owner != null) {
      deleteLink(p.hostDevice());
      removed = true;
    }
    run(
        nodeIp(
            "link",
            "add",
            p.hostDevice(),
            "mtu",
            "" + p.mtu(),
            "address",
            p.hostMac(),
            "type",
            "veth",
            "peer",
            "name",
            ifName,
            "address",
            p.mac(),
            "mtu",
            "" + p.mtu(),
            "netns",
            netns),
        "create the veth pair");
    try {
      run(
          nodeIp("link", "set", "dev", p.hostDevice(), "alias", ALIAS_PREFIX + containerId, "up"),
          "set the host veth's alias");
      podSide(netns, ifName, p);
    } catch (CniException e) {
      shell.run(nodeIp("link", "del", "dev", p.hostDevice()), null, Shell.DEFAULT_TIMEOUT);
      throw e;
    }
    return removed ? Wired.REPLACED : Wired.CREATED;
  }

  /** What {@link #add} did on the node's side, which tells how much of the node to program. */
  public enum Wired {
    /** A new host veth, up, with the interface's MTU and MAC and nothing on it; nothing removed. */
    CREATED,
    /** The container's veth was there: only the pod side's settings were applied again. */
    REAPPLIED,
    /** Veths were removed (another container's, or this one's for another interface). */
    REPLACED
  }

  /** The pod side's settings, each a replace: applying them again changes nothing. */
  private void podSide(String netns, String ifName, PodInterface p) {
    List<String> lines = new ArrayList<>();
    boolean v4 = false;
    boolean v6 = false;
    for (String a : p.addresses()) {
      boolean six = a.indexOf(':') >= 0;
      v4 |= !six;
      v6 |= six;
      lines.add("addr replace " + host(a) + " dev " + ifName + (six ? " nodad" : ""));
    }
    lines.add("link set dev " + ifName + " mtu " + p.mtu() + " up");
    if (v4) {
      lines.add("route replace 0.0.0.0/0 via " + Naming.GATEWAY4 + " dev " + ifName + " onlink");
      lines.add(
          "neigh replace "
              + Naming.GATEWAY4
              + " lladdr "
              + p.hostMac()
              + " dev "
              + ifName
              + " nud permanent");
    }
    if (v6) {
      lines.add("route replace ::/0 via " + Naming.GATEWAY6 + " dev " + ifName);
      lines.add(
          "neigh replace "
              + Naming.GATEWAY6
              + " lladdr "
              + p.hostMac()
              + " dev "
              + ifName
              + " nud permanent");
    }
    Shell.Result r =
        shell.run(
            podIp(netns, "-batch", "-"), String.join("\n", lines) + "\n", Shell.DEFAULT_TIMEOUT);
    if (!r.ok()) {
      throw new CniException(
          ErrorCodes.IO_FAILURE,
          "could not configure " + ifName + " in " + netns,
          new CommandFailedException(r).getMessage());
    }
  }

  /**
   * Removes the veths whose alias names {@code containerId} (the pod side goes with them).
   *
   * @return the host devices removed; empty when the container had none (not an error: DEL is
   *     idempotent)
   */
  public List<String> delete(String containerId) {
    List<String> removed = new ArrayList<>();
    for (Map.Entry<String, String> e : containers().entrySet()) {
      if (e.getValue().equals(containerId)) {
        deleteLink(e.getKey());
        removed.add(e.getKey());
      }
    }
    return removed;
  }

  /**
   * Removes the veths of containers not in {@code valid} (a veth without alias is left to the
   * reconcile, which removes it when no pod of the node has it).
   *
   * @return the host devices removed
   */
  public List<String> collect(java.util.Set<String> valid) {
    List<String> removed = new ArrayList<>();
    for (Map.Entry<String, String> e : containers().entrySet()) {
      if (!e.getValue().isEmpty() && !valid.contains(e.getValue())) {
        deleteLink(e.getKey());
        removed.add(e.getKey());
      }
    }
    return removed;
  }

  /**
   * What differs from what {@link #add} makes: empty when the container's veth (up, on the
   * interface's host device) and the pod side's MAC, MTU, state, addresses, default routes and
   * gateway neighbour entries, per address family the interface has, are as they should be.
   *
   * @throws CniException (code 3) when the container has no Weft veth on this node
   */
  public List<String> check(String containerId, String netns, String ifName, PodInterface p) {
    Map<String, String> have = containers();
    String mine = null;
    for (Map.Entry<String, String> e : have.entrySet()) {
      if (e.getValue().equals(containerId)) {
        mine = e.getKey();
      }
    }
    if (mine == null) {
      throw new CniException(
          ErrorCodes.UNKNOWN_CONTAINER,
          "container " + containerId + " has no Weft veth",
          "no veth on the node has alias " + ALIAS_PREFIX + containerId);
    }
    List<String> diffs = new ArrayList<>();
    if (!mine.equals(p.hostDevice())) {
      diffs.add("host veth is " + mine + ", expected " + p.hostDevice());
    }
    Shell.Result host =
        shell.run(nodeIp("-j", "link", "show", "dev", mine), null, Shell.DEFAULT_TIMEOUT);
    if (host.ok() && !host.stdout().contains("\"UP\"")) {
      diffs.add("host veth " + mine + " is down");
    }
    Shell.Result r =
        shell.run(podIp(netns, "-j", "addr", "show", "dev", ifName), null, Shell.DEFAULT_TIMEOUT);
    if (!r.ok()) {
      diffs.add(ifName + " in " + netns + ": " + r.stderr().strip());
      return diffs;
    }
    try {
      JsonNode links = JSON.readTree(r.stdout());
      JsonNode l = links.path(0);
      if (!p.mac().equalsIgnoreCase(l.path("address").asText())) {
        diffs.add(ifName + " has MAC " + l.path("address").asText() + ", expected " + p.mac());
      }
      if (!l.path("flags").toString().contains("\"UP\"")) {
        diffs.add(ifName + " is down");
      }
      TreeSet<String> addresses = new TreeSet<>();
      for (JsonNode a : l.path("addr_info")) {
        if (!"link".equals(a.path("scope").asText())) {
          addresses.add(host(a.path("local").asText()));
        }
      }
      TreeSet<String> expected = new TreeSet<>();
      for (String a : p.addresses()) {
        expected.add(host(a));
      }
      if (!addresses.equals(expected)) {
        diffs.add(ifName + " has addresses " + addresses + ", expected " + expected);
      }
      if (l.path("mtu").asInt(-1) != p.mtu()) {
        diffs.add(ifName + " has MTU " + l.path("mtu").asText("?") + ", expected " + p.mtu());
      }
      boolean v4 = expected.stream().anyMatch(a -> a.indexOf(':') < 0);
      boolean v6 = expected.stream().anyMatch(a -> a.indexOf(':') >= 0);
      if (v4) {
        gatewayDiffs(netns, ifName, p, "-4", Naming.GATEWAY4, diffs);
      }
      if (v6) {
        gatewayDiffs(netns, ifName, p, "-6", Naming.GATEWAY6, diffs);
      }
    } catch (IOException e) {
      diffs.add("could not read " + ifName + ": " + e.getMessage());
    }
    return diffs;
  }

  /**
   * The pod's default route of one family ({@code -4} / {@code -6}) through {@code gateway} on
   * {@code ifName}, and the permanent neighbour entry that resolves the gateway to the host veth's
   * MAC: what {@link #podSide} makes, compared.
   */
  private void gatewayDiffs(
      String netns,
      String ifName,
      PodInterface p,
      String family,
      String gateway,
      List<String> diffs)
      throws IOException {
    String v = family.equals("-6") ? "IPv6" : "IPv4";
    Shell.Result routes =
        shell.run(
            podIp(netns, family, "-j", "route", "show", "default"), null, Shell.DEFAULT_TIMEOUT);
    boolean route = false;
    for (JsonNode r : jsonArray(routes)) {
      route |= gateway.equals(r.path("gateway").asText()) && ifName.equals(r.path("dev").asText());
    }
    if (!route) {
      diffs.add("no " + v + " default route via " + gateway + " dev " + ifName + " in " + netns);
    }
    Shell.Result neigh =
        shell.run(
            podIp(netns, family, "-j", "neigh", "show", "dev", ifName),
            null,
            Shell.DEFAULT_TIMEOUT);
    String found = null;
    for (JsonNode n : jsonArray(neigh)) {
      if (gateway.equals(n.path("dst").asText())) {
        found = n.path("lladdr").asText("") + " " + n.path("state").toString();
      }
    }
    if (found == null) {
      diffs.add("no " + v + " neighbour entry for the gateway " + gateway + " on " + ifName);
    } else if (!found
            .toLowerCase(java.util.Locale.ROOT)
            .startsWith(p.hostMac().toLowerCase(java.util.Locale.ROOT) + " ")
        || !found.contains("PERMANENT")) {
      diffs.add(
          "the gateway "
              + gateway
              + " on "
              + ifName
              + " is "
              + found
              + ", expected "
              + p.hostMac()
              + " [\"PERMANENT\"]");
    }
  }

  /** What {@code ip -j} printed: a JSON array, empty when it printed nothing (nothing to list). */
  private static JsonNode jsonArray(Shell.Result r) throws IOException {
    return JSON.readTree(r.stdout().isBlank() ? "[]" : r.stdout());
  }

  private void deleteLink(String device) {
    Shell.Result r = shell.run(nodeIp("link", "del", "dev", device), null, Shell.DEFAULT_TIMEOUT);
    if (!r.ok() && !r.stderr().contains("Cannot find device")) {
      throw new CniException(
          ErrorCodes.IO_FAILURE,
          "could not remove veth " + device,
          new CommandFailedException(r).getMessage());
    }
  }

  private void run(List<String> argv, String what) {
    Shell.Result r = shell.run(argv, null, Shell.DEFAULT_TIMEOUT);
    if (!r.ok()) {
      throw new CniException(
          ErrorCodes.IO_FAILURE, "could not " + what, new CommandFailedException(r).getMessage());
    }
  }

  private static String host(String address) {
    String a = IpPrefix.canonicalAddress(address);
    return a + (a.indexOf(':') >= 0 ? "/128" : "/32");
  }

  private List<String> nodeIp(String... args) {
    List<String> argv = new ArrayList<>(List.of("ip"));
    if (nodeNetns != null) {
      argv.add("-n");
      argv.add(nodeNetns);
    }
    argv.addAll(List.of(args));
    return argv;
  }

  /**
   * {@code ip} inside the pod's namespace: {@code ip -n NAME} for one under {@code /var/run/netns}
   * or {@code /run/netns}, else through {@code nsenter} (a {@code /proc/PID/ns/net} path).
   */
  static List<String> podIp(String netns, String... args) {
    List<String> argv = new ArrayList<>();
    String name = null;
    for (String dir : List.of("/var/run/netns/", "/run/netns/")) {
      if (netns.startsWith(dir) && netns.indexOf('/', dir.length()) < 0) {
        name = netns.substring(dir.length());
      }
    }
    if (name != null) {
      argv.addAll(List.of("ip", "-n", name));
    } else {
      argv.addAll(List.of("nsenter", "--net=" + netns, "ip"));
    }
    argv.addAll(List.of(args));
    return argv;
  }
}
