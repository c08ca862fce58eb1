package dev.weft.agent.linux;

import dev.weft.agent.Shell;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The commands the Linux dataplane runs, inside one network namespace (the node's; null for the
 * namespace the process is in). Reads and writes are counted apart, so that a test can prove a
 * reconcile of a converged node writes nothing.
 */
final class Commands {
  /**
   * The sysctls Weft reads: forwarding, reverse-path filtering (globally and on its devices), mark
   * reflection.
   */
  private static final String READ_SYSCTLS =
      "cd /proc/sys/net && grep -H . ipv4/ip_forward ipv4/conf/all/rp_filter ipv4/fwmark_reflect"
          + " ipv6/conf/all/forwarding ipv6/fwmark_reflect 2>/dev/null;"
          + " for f in ipv4/conf/wf*/rp_filter; do [ -e \"$f\" ] && grep -H . \"$f\"; done; true";

  private final Shell shell;
  private final String netns;
  private final AtomicInteger reads = new AtomicInteger();
  private final AtomicInteger writes = new AtomicInteger();

  Commands(Shell shell, String netns) {
    this.shell = shell;
    this.netns = netns;
  }

  String netns() {
    return netns;
  }

  int reads() {
    return reads.get();
  }

  int writes() {
    return writes.get();
  }

  Shell.Result ip(String... args) {
    reads.incrementAndGet();
    return shell.check(tool("ip", args));
  }

  Shell.Result bridge(String... args) {
    reads.incrementAndGet();
    return shell.check(tool("bridge", args));
  }

  /** {@code ip [-6] -force -batch -}: every line is tried; the failing ones are reported. */
  Shell.Result ipBatch(List<String> lines, boolean v6) {
    writes.incrementAndGet();
    return shell.check(
        tool(
            "ip",
            v6
                ? new String[] {"-6", "-force", "-batch", "-"}
                : new String[] {"-force", "-batch", "-"}),
        String.join("\n", lines) + "\n");
  }

  Shell.Result bridgeBatch(List<String> lines) {
    writes.incrementAndGet();
    return shell.check(tool("bridge", "-force", "-batch", "-"), String.join("\n", lines) + "\n");
  }

  Shell.Result sysctls() {
    reads.incrementAndGet();
    return shell.check(inside("sh", "-c", READ_SYSCTLS));
  }

  Shell.Result writeSysctls(List<String> assignments) {
    writes.incrementAndGet();
    List<String> argv = new ArrayList<>(List.of("sysctl", "-q", "-w"));
    argv.addAll(assignments);
    return shell.check(inside(argv.toArray(String[]::new)));
  }

  /** {@code nft -j list table inet weft}, numeric; not checked: the table may not exist. */
  Shell.Result nftList() {
    reads.incrementAndGet();
    return shell.run(
        inside("nft", "-j", "-n", "-p", "-y", "list", "table", Nft.FAMILY, Nft.TABLE),
        null,
        Shell.DEFAULT_TIMEOUT);
  }

  /** {@code nft list table FAMILY TABLE}, as text; not checked: the table may not exist. */
  Shell.Result nftListText(String family, String table) {
    reads.incrementAndGet();
    return shell.run(inside("nft", "list", "table", family, table), null, Shell.DEFAULT_TIMEOUT);
  }

  /** One {@code ip} command that changes the kernel. */
  Shell.Result ipWrite(String... args) {
    writes.incrementAndGet();
    return shell.check(tool("ip", args));
  }

  /** One atomic transaction: all of {@code script} takes effect, or none of it. */
  Shell.Result nftApply(String script) {
    writes.incrementAndGet();
    return shell.check(inside("nft", "-f", "-"), script);
  }

  private List<String> tool(String tool, String... args) {
    List<String> argv = new ArrayList<>();
    argv.add(tool);
    if (netns != null) {
      argv.add("-n");
      argv.add(netns);
    }
    argv.addAll(Arrays.asList(args));
    return argv;
  }

  private List<String> inside(String... argv) {
    List<String> out = new ArrayList<>();
    if (netns != null) {
      out.addAll(List.of("ip", "netns", "exec", netns));
    }
    out.addAll(Arrays.asList(argv));
    return out;
  }
}
