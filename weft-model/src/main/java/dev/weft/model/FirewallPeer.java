package dev.weft.model;

/**
 * One peer of a firewall rule, as a Kubernetes NetworkPolicy peer: pods chosen by tag expressions
 * ({@code podSelector} over pod labels, {@code namespaceSelector} over namespace labels: both given
 * means both must hold; a pod selector alone means the policy's own namespace; a namespace selector
 * alone means every pod of the namespaces it selects), or addresses ({@code ipBlock}). A null
 * selector is one not given; an empty one selects everything.
 */
public record FirewallPeer(
    LabelSelector podSelector, LabelSelector namespaceSelector, IpBlock ipBlock) {
  public FirewallPeer {
    boolean pods = podSelector != null || namespaceSelector != null;
    if (pods == (ipBlock != null)) {
      throw new IllegalArgumentException(
          "a peer has selectors (podSelector and/or namespaceSelector) or an ipBlock, exactly one"
              + " of the two");
    }
  }

  public static FirewallPeer pods(LabelSelector podSelector, LabelSelector namespaceSelector) {
    return new FirewallPeer(podSelector, namespaceSelector, null);
  }

  public static FirewallPeer addresses(IpBlock block) {
    return new FirewallPeer(null, null, block);
  }

  @Override
  public String toString() {
    if (ipBlock != null) {
      return "ipBlock " + ipBlock;
    }
    if (namespaceSelector == null) {
      return "pods " + podSelector + " of its namespace";
    }
    return (podSelector == null ? "every pod" : "pods " + podSelector)
        + " of namespaces "
        + namespaceSelector;
  }
}
