package dev.weft.kube.embedded;

import io.fabric8.kubernetes.api.model.Pod;

/**
 * The kubelet's container runtime and CNI, as far as the embedded kubelet stand-in needs them: each
 * pod's sandbox (its network namespace, wired by the CNI) is set up before the pod is marked
 * Running, and torn down when the pod goes. The default, {@link #NONE}, runs pods on nothing; the
 * lab ({@code weft up --lab}) makes them real. Called from the stand-ins' workers, never for the
 * same pod on two threads at once; implementations must be thread-safe across pods.
 */
public interface PodSandboxes {
  /** Pods need no sandbox: every pod is ready to run at once. */
  PodSandboxes NONE =
      new PodSandboxes() {
        @Override
        public boolean ensure(Pod pod, String node) {
          return true;
        }

        @Override
        public void remove(String namespace, String name) {}
      };

  /**
   * Makes the sandbox of {@code pod}, bound to {@code node} and addressed by Weft (its
   * network-status annotation is written), match the pod: created when missing, recreated when the
   * pod is another one of the same name or its addresses changed. Idempotent and cheap when nothing
   * changed.
   *
   * @return whether the sandbox is ready; false: not yet (the implementation reports why, on the
   *     pod as an Event), and the stand-in tries again later
   */
  boolean ensure(Pod pod, String node);

  /** Tears down the sandbox of pod {@code namespace/name}, if it has one; idempotent. */
  void remove(String namespace, String name);
}
