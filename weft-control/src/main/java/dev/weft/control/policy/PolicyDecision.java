package dev.weft.control.policy;

import java.util.List;
import java.util.Objects;

/**
 * Why NetworkPolicy allows or denies a packet in one direction at one pod, for {@code weft trace}:
 * the pod is not selected for that direction, or a named policy's rule allows it (with the peer and
 * port that matched), or the policies selecting it have no rule that does.
 *
 * @param pod {@code namespace/name} of the pod judged, or the interface's name when not a pod
 * @param policies the policies selecting the pod for this direction, in evaluation order
 * @param policy the policy whose rule allowed it, or null
 * @param rule that rule's number within its direction, from 1; 0 when none
 * @param detail the whole decision in one sentence, such as {@code ingress x/b: allowed by
 *     NetworkPolicy x/allow-from-a ingress rule 1 (peer 1: pods pod=a of its namespace; port
 *     80/TCP)}
 */
public record PolicyDecision(
    Direction direction,
    boolean allowed,
    Basis basis,
    String pod,
    List<String> policies,
    String policy,
    int rule,
    String detail) {
  public PolicyDecision {
    Objects.requireNonNull(direction, "direction");
    Objects.requireNonNull(basis, "basis");
    policies = List.copyOf(policies);
  }

  /** Which end of the connection judges. */
  public enum Direction {
    /** At the source, on the way out. */
    EGRESS,
    /** At the destination, on the way in. */
    INGRESS;

    public String word() {
      return this == EGRESS ? "egress" : "ingress";
    }
  }

  /** What the decision rests on. */
  public enum Basis {
    /** The interface is no pod's: NetworkPolicy does not apply to it. */
    NOT_A_POD,
    /** The packet goes from a pod to itself. */
    SELF,
    /** No policy selects the pod for this direction: unrestricted. */
    NOT_SELECTED,
    /** A rule of a selecting policy allows it. */
    RULE,
    /** Policies select the pod for this direction and none of their rules allows it. */
    NO_RULE
  }

  /** The sentence for a person. */
  public String describe() {
    return detail;
  }

  @Override
  public String toString() {
    return detail;
  }
}
