package dev.weft.api.reach;

import java.time.Duration;

/**
 * The barrier before a probe: waits until every Kubernetes change made before the call has been
 * processed into the store, and says which store revision holds the result.
 */
@FunctionalInterface
public interface Convergence {
  /**
   * @param reached false when the wait gave up
   * @param storeRevision the store revision that includes every change covered (when reached), or
   *     the latest one when not
   * @param held what was still pending when the wait gave up ("" when reached)
   */
  record Result(boolean reached, long storeRevision, String held) {}

  Result await(Duration timeout) throws InterruptedException;
}
