package dev.weft.kube.reconcile;

/**
 * This kube-manager is not (or no longer) the leader, so it must not write: a reconcile that meets
 * it stops without retrying, and the leader's workers are being stopped.
 */
public class NotLeaderException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public NotLeaderException(String message) {
    super(message);
  }
}
