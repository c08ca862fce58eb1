package dev.weft.dataplane;

import java.util.List;
import java.util.UUID;

/**
 * What became of a packet.
 *
 * @param destinationInterface the interface it was delivered to, or null
 * @param reason one line: why it was delivered or dropped
 * @param steps every step, in order (empty when the caller did not ask for them)
 * @param deliveredAs the destination address after destination NAT (a floating IP translated to the
 *     interface's own address), or null when the packet was delivered untranslated
 */
public record Verdict(
    boolean delivered,
    UUID destinationInterface,
    String reason,
    List<Step> steps,
    String deliveredAs,
    int deliveredPort) {
  public Verdict {
    steps = List.copyOf(steps);
  }

  /** A verdict without destination NAT. */
  public Verdict(boolean delivered, UUID destinationInterface, String reason, List<Step> steps) {
    this(delivered, destinationInterface, reason, steps, null, 0);
  }
}
