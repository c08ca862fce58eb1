package dev.weft.dataplane;

import java.util.List;
import java.util.UUID;

/**
 * What became of a packet.
 *
 * @param destinationInterface the interface it was delivered to, or null
 * @param reason one line: why it was delivered or dropped
 * @param steps every step, in order (empty when the caller did not ask for them)
 */
public record Verdict(
    boolean delivered, UUID destinationInterface, String reason, List<Step> steps) {
  public Verdict {
    steps = List.copyOf(steps);
  }
}
