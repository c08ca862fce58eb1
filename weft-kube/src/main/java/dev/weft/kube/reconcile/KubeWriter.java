package dev.weft.kube.reconcile;

/** What Weft writes back to Kubernetes: pod annotations, service status and Events. */
public interface KubeWriter {
  /**
   * Sets one annotation on a pod, if the pod still has UID {@code uid}; does nothing when the pod
   * is gone or was replaced.
   */
  void annotatePod(String namespace, String name, String uid, String key, String value);

  /**
   * Sets a service's {@code status.loadBalancer.ingress} to {@code ips} (empty clears it), if the
   * service still has UID {@code uid}; does nothing when it is gone or was replaced.
   */
  void serviceIngress(String namespace, String name, String uid, java.util.List<String> ips);

  /** Records an Event on an object (namespace empty for cluster-scoped objects). */
  void event(
      String kind,
      String namespace,
      String name,
      String uid,
      String type,
      String reason,
      String message);
}
