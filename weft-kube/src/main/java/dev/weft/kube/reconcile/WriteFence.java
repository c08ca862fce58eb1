package dev.weft.kube.reconcile;

import dev.weft.store.Compare;

/**
 * What makes a kube-manager's commits conditional on it still being the leader: a guard added to
 * every transaction the reconcilers commit, so a deposed leader that has not noticed yet cannot
 * write, however late its clock or its renewals are.
 *
 * <p>Implementations are thread-safe.
 */
public interface WriteFence {
  /** No fence: the only kube-manager on its store (tests, a single process without election). */
  WriteFence NONE =
      new WriteFence() {
        @Override
        public Compare guard() {
          return null;
        }

        @Override
        public boolean lost() {
          return false;
        }
      };

  /**
   * The guard to add to the next commit, or null when commits are not fenced.
   *
   * @throws NotLeaderException when this kube-manager may not write at all now
   */
  Compare guard();

  /**
   * Whether a commit that failed its guards failed because of the fence (another kube-manager took
   * over), rather than because an object changed. Reads the store; called only after a conflict.
   */
  boolean lost();
}
