package dev.weft.control.policy;

import dev.weft.model.ContainerPort;
import dev.weft.model.Protocol;
import java.util.List;
import java.util.UUID;

/**
 * The compiled NetworkPolicy state, read under the compiler's read lock ({@code Compiler.read}):
 * per packet, whether each end's policies let it through (allocation-free, for probe's millions of
 * cells), and why (for trace); and the groups, policies and per-interface bindings an agent
 * programs from. Interfaces are pods' interfaces by UUID; one the engine does not know (no pod's,
 * or gone) is unrestricted. Lists it returns are copies, in a stable order.
 */
public interface PolicyView {
  /**
   * Whether the policies of {@code source} let it send to {@code destination}: true when {@code
   * source} is not a known pod, is selected by no policy governing egress, or is {@code
   * destination}; else whether a rule of one of them matches the destination (pods by group, {@code
   * destinationAddress} by address block) and the port (named ports resolved on the destination
   * pod).
   *
   * @param destination the destination pod's interface, or null for an address that is no pod's
   * @param destinationAddress the destination address after translation (a service's backend)
   * @param port the destination port after translation (a service's target port)
   */
  boolean egressAllows(
      UUID source, UUID destination, String destinationAddress, Protocol protocol, int port);

  /**
   * Whether the policies of {@code destination} let it receive from {@code source}: the counterpart
   * of {@link #egressAllows}, named ports resolved on {@code destination} itself.
   *
   * @param source the source pod's interface, or null for a host outside the cluster (or any
   *     address that is no pod's)
   */
  boolean ingressAllows(
      UUID destination, UUID source, String sourceAddress, Protocol protocol, int port);

  /** {@link #egressAllows}, explained. */
  PolicyDecision explainEgress(
      UUID source, UUID destination, String destinationAddress, Protocol protocol, int port);

  /** {@link #ingressAllows}, explained. */
  PolicyDecision explainIngress(
      UUID destination, UUID source, String sourceAddress, Protocol protocol, int port);

  /** Every group some policy names, in key order. */
  List<GroupKey> groups();

  /** The members of {@code group}, in UUID order; null when no policy names that group. */
  List<UUID> members(GroupKey group);

  /** Every policy, by UUID, in UUID order. */
  List<UUID> policies();

  /** A policy as compiled; null when there is none by that UUID. */
  CompiledPolicy policy(UUID policy);

  /**
   * The policies selecting pod interface {@code pod}, in evaluation order (name, then UUID); empty
   * when none does or the pod is unknown.
   */
  List<UUID> appliedPolicies(UUID pod);

  /**
   * The container ports pod interface {@code pod} declares, in declaration order: what a named port
   * of a rule resolves to on that pod (an agent renders named ports to numbers with it); empty when
   * it declares none or the pod is unknown.
   */
  List<ContainerPort> declaredPorts(UUID pod);
}
