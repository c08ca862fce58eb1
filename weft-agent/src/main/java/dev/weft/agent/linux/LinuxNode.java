package dev.weft.agent.linux;

import dev.weft.agent.CommandFailedException;
import dev.weft.agent.Shell;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's kernel, reconciled to a {@link NodeState}: reads what Weft owns (links {@code wfp*} and
 * {@code wfx*}, Weft's routing tables and the rules into them, permanent neighbour and fdb entries
 * on its devices, the table {@code inet weft}), computes the difference ({@link Diff}) and applies
 * only that: a few batched commands and one atomic nftables transaction. Nothing Weft does not own
 * is changed, except the sysctls forwarding needs ({@code ip_forward}, reverse-path filtering).
 *
 * <p>Idempotent and level-based: whatever the kernel holds (nothing, a previous render, a route
 * deleted by hand, a stale pod's veth), one {@link #reconcile} converges it, and a second changes
 * nothing. {@link #update} is the same without reading the kernel, for the agent's fast path. Not
 * thread-safe: one caller at a time per node (the agent's work queue runs one key at a time).
 */
public final class LinuxNode {
  private static final Logger LOG = LoggerFactory.getLogger(LinuxNode.class);

  private final String node;
  private final Commands commands;
  private final KernelReader reader;
  private final Clock clock;

  /**
   * What the kernel holds if nothing touched it since this node last programmed it; null: unknown.
   */
  private KernelState assumed;

  /**
   * @param node the node's name, for messages
   * @param netns the network namespace that is the node (as {@code ip netns} names it), or null for
   *     the namespace this process runs in
   */
  public LinuxNode(String node, Shell shell, String netns, Clock clock) {
    this.node = node;
    this.commands = new Commands(shell, netns);
    this.reader = new KernelReader(commands);
    this.clock = clock;
  }

  public LinuxNode(String node, Shell shell, String netns) {
    this(node, shell, netns, Clock.systemUTC());
  }

  /**
   * Makes the kernel hold {@code desired}, reading what it holds first: repairs anything changed
   * behind Weft's back. Run it on a timer, after a pod's veth appears or goes (CNI ADD and DEL),
   * and whenever {@link #update} is not trusted.
   *
   * @throws ReconcileException when a step failed (the others were still applied); its report names
   *     each failed command and why
   * @throws CommandFailedException when the kernel's state could not be read
   */
  public ReconcileReport reconcile(NodeState desired) {
    Instant start = clock.instant();
    int reads = commands.reads();
    return converge(reader.read(), desired, start, reads);
  }

  /**
   * Makes the kernel hold {@code desired} assuming it holds what this node last programmed, without
   * reading it: the fast path for a change of the compiled state (adding one service to 10,000 is a
   * few nftables elements, not a dump of the table). Falls back to {@link #reconcile} when nothing
   * was programmed yet or the last attempt failed. What is changed by hand, or a veth the CNI
   * created since, is only seen by the next {@link #reconcile}.
   */
  public ReconcileReport update(NodeState desired) {
    return updateAssuming(k -> k, desired);
  }

  /**
   * {@link #update}, told that the CNI has just created a pod's host veth {@code device} (up, with
   * {@code mtu} and {@code mac}, nothing on it), so that the pod's routes, neighbour entries,
   * sysctls and elements are programmed without reading the node: what a CNI ADD costs then grows
   * with what the pod needs, not with what the node holds. Falls back to {@link #reconcile} when
   * nothing was programmed yet or the last attempt failed.
   */
  public ReconcileReport vethAdded(NodeState desired, String device, int mtu, String mac) {
    return updateAssuming(k -> k.withBareVeth(device, mtu, mac), desired);
  }

  /**
   * {@link #update}, told that the CNI has just deleted the host veths {@code devices} (with what
   * was on them): a DEL costs what the pod had, not a read of the whole node. Falls back to {@link
   * #reconcile} when nothing was programmed yet or the last attempt failed.
   */
  public ReconcileReport vethsRemoved(NodeState desired, java.util.Collection<String> devices) {
    return updateAssuming(
        k -> {
          for (String d : devices) {
            k = k.withoutDevice(d);
          }
          return k;
        },
        desired);
  }

  /**
   * Converges from what this node last programmed, as {@code change} says the kernel now differs
   * from it, without reading; a full {@link #reconcile} when nothing was programmed yet or the last
   * attempt failed.
   */
  private ReconcileReport updateAssuming(
      java.util.function.UnaryOperator<KernelState> change, NodeState desired) {
    if (assumed == null) {
      return reconcile(desired);
    }
    return converge(change.apply(assumed), desired, clock.instant(), commands.reads());
  }

  private ReconcileReport converge(
      KernelState kernel, NodeState desired, Instant start, int reads) {
    int writes = commands.writes();
    assumed = null;
    Diff diff = Diff.of(kernel, desired);
    List<String> errors = new ArrayList<>();
    // Links, neighbours, routes and IPv4 rules first (routes need their devices), then the
    // devices' sysctls and VXLAN fdb entries, IPv6 rules, and last the nftables transaction, which
    // names devices only by name and so could go anywhere.
    if (!diff.ip().isEmpty()) {
      step(errors, () -> commands.ipBatch(diff.ip(), false));
    }
    if (!diff.sysctls().isEmpty()) {
      step(errors, () -> commands.writeSysctls(diff.sysctls()));
    }
    if (!diff.bridge().isEmpty()) {
      step(errors, () -> commands.bridgeBatch(diff.bridge()));
    }
    if (!diff.ip6().isEmpty()) {
      step(errors, () -> commands.ipBatch(diff.ip6(), true));
    }
    if (!diff.nft().isEmpty()) {
      step(errors, () -> commands.nftApply(diff.nft()));
    }
    ReconcileReport report =
        new ReconcileReport(
            diff.counts(),
            commands.writes() - writes,
            commands.reads() - reads,
            diff.waiting(),
            errors,
            Duration.between(start, clock.instant()));
    if (!errors.isEmpty()) {
      throw new ReconcileException(node, report);
    }
    assumed = KernelState.assumed(desired, diff.present());
    if (report.total() > 0) {
      LOG.info(
          "node {}: applied {} change(s) {} in {} ms{}",
          node,
          report.total(),
          report.changes(),
          report.took().toMillis(),
          report.waiting().isEmpty() ? "" : "; waiting for veths " + report.waiting());
    }
    return report;
  }

  /**
   * Removes everything Weft owns from the node: its devices (pods' host-side veths included, which
   * takes the pods off the network), tables, rules and the {@code inet weft} table. The sysctls it
   * set are left as they are.
   */
  public ReconcileReport teardown() {
    return reconcile(NodeState.empty(node));
  }

  private static void step(List<String> errors, Supplier<Shell.Result> command) {
    try {
      command.get();
    } catch (CommandFailedException e) {
      errors.add(e.getMessage());
    }
  }
}
