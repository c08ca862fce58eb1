package dev.weft.agent.linux;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * What one reconcile of a node did.
 *
 * @param changes the changes made, by kind ({@code links}, {@code routes}, {@code rules}, {@code
 *     neighbors}, {@code fdb}, {@code sysctls}, {@code nft} lines); empty when the kernel already
 *     held the desired state
 * @param writes the commands run that change the kernel (batches count once); 0 when converged
 * @param reads the commands run to read the kernel
 * @param waiting pods whose host-side veth does not exist yet; their routes wait for it
 * @param errors the commands that failed, each saying which and why; empty on success
 * @param took how long the reconcile took, reading included
 */
public record ReconcileReport(
    Map<String, Integer> changes,
    int writes,
    int reads,
    List<String> waiting,
    List<String> errors,
    Duration took) {
  public ReconcileReport {
    changes = Map.copyOf(changes);
    waiting = List.copyOf(waiting);
    errors = List.copyOf(errors);
  }

  /** The number of changes made. */
  public int total() {
    return changes.values().stream().mapToInt(Integer::intValue).sum();
  }

  public boolean converged() {
    return total() == 0 && errors.isEmpty();
  }
}
