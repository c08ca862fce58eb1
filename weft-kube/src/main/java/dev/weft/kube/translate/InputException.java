package dev.weft.kube.translate;

/**
 * A Kubernetes object asks for something Weft cannot do as written (bad annotation, missing
 * network, no free address). Reported as a Kubernetes Event on the object; retried when an input
 * changes, not on a timer.
 *
 * @param reason short CamelCase reason for the Event
 * @param waitingOn what must change before a retry can succeed (such as {@code
 *     network:default-domain:k8s-dev:vn-x}), or empty when only the object itself can fix it
 */
public class InputException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String reason;
  private final String waitingOn;
  private final boolean transientWait;

  public InputException(String reason, String message, String waitingOn) {
    this(reason, message, waitingOn, false);
  }

  /**
   * @param transientWait true when Weft itself will make the input valid shortly (a namespace's
   *     network not created yet): no Event, since there is nothing for a person to do
   */
  public InputException(String reason, String message, String waitingOn, boolean transientWait) {
    super(message);
    this.reason = reason;
    this.waitingOn = waitingOn == null ? "" : waitingOn;
    this.transientWait = transientWait;
  }

  public boolean transientWait() {
    return transientWait;
  }

  public InputException(String reason, String message) {
    this(reason, message, "");
  }

  public String reason() {
    return reason;
  }

  public String waitingOn() {
    return waitingOn;
  }
}
