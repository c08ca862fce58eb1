package dev.weft.control.policy;

/**
 * Told, on the compiling thread after each batch, what the batch changed in the compiled policy
 * state (never an empty delta). A listener that needs more reads {@link PolicyView} under the
 * compiler's read lock; it must not block the compiling thread for long.
 */
@FunctionalInterface
public interface PolicyListener {
  void onPolicyDelta(PolicyDelta delta);
}
