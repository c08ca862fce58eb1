package dev.weft.kube.queue;

/**
 * Converges the world to the desired state for one key; what a controller plugs into a {@link
 * WorkQueue}.
 *
 * <p>Reconcile is level-based: it reads current state from caches and does whatever is needed,
 * without knowing which event caused the call or how many events were merged into it. The queue
 * calls it concurrently for different keys but never for the same key on two threads at once.
 */
@FunctionalInterface
public interface Reconciler {

  /**
   * Reconciles {@code key}.
   *
   * @return what to do next with the key; never null
   * @throws Exception to have the key retried with per-key exponential backoff; the exception's
   *     message is logged with the key and shown by {@link WorkQueue#failingKeys()}
   */
  Result reconcile(String key) throws Exception;
}
