package dev.weft.api.reach;

import dev.weft.dataplane.Probe;
import java.time.Duration;
import java.util.List;

/**
 * A probe measured with real connections instead of the forwarding model ({@code weft probe
 * --real}, served by the lab of {@code weft up --lab}): the same sources, destinations and cells.
 */
public interface RealProbe {
  /**
   * Measures every cell, after waiting (at most {@code timeout}) until the dataplane has programmed
   * compiled revision {@code compiledRevision} and every source has its sandbox.
   *
   * @param external from outside the cluster (one source row, {@code external}) rather than from
   *     {@code sources}
   * @return the matrix, or throws {@link dev.weft.api.config.ApiException} saying what is missing
   */
  Probe.Matrix measure(
      boolean external,
      List<Probe.Source> sources,
      List<Probe.Destination> destinations,
      long compiledRevision,
      Duration timeout)
      throws InterruptedException;

  /**
   * Why {@code destination}'s protocol cannot be measured here (SCTP without kernel support, say),
   * or null when it can.
   */
  String unsupported(dev.weft.model.Protocol protocol);
}
