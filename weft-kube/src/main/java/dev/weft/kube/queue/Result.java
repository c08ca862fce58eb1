package dev.weft.kube.queue;

import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link Reconciler} asks the queue to do next with the key it has just reconciled.
 *
 * @param requeueAfter reconcile the key again after this delay, or null for {@linkplain #done()
 *     done}; a run of the key that starts earlier (because the key was added again) replaces the
 *     requeue, since that run returns its own result
 */
public record Result(Duration requeueAfter) {

  private static final Result DONE = new Result(null);

  public Result {
    if (requeueAfter != null && requeueAfter.isNegative()) {
      throw new IllegalArgumentException("requeueAfter must not be negative, was " + requeueAfter);
    }
  }

  /** The key has converged; nothing more to do until it is added again. */
  public static Result done() {
    return DONE;
  }

  /** The key converged for now but must be looked at again after {@code delay} (not a failure). */
  public static Result requeueAfter(Duration delay) {
    return new Result(Objects.requireNonNull(delay, "delay"));
  }
}
