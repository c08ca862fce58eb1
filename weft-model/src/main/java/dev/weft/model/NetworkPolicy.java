package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A Contrail network policy between virtual networks: ordered rules, effective once attached to the
 * networks it names (through {@link VirtualNetwork#networkPolicyRefs()}).
 */
public record NetworkPolicy(
    UUID uuid, FqName fqName, Ref parent, Map<String, String> annotations, List<PolicyRule> rules)
    implements ConfigObject {
  /**
   * Annotation on a user's policy: the networks it was attached to from the policy side ({@code
   * spec.networks}), as comma-separated FQ names. Links live on the networks; this records the
   * intent, so that a network the kube-manager derives and deletes (a namespace losing its
   * isolation) gets the link back when it is derived again.
   */
  public static final String ATTACHED_NETWORKS = "weft.dev/attached-networks";

  /** Annotation next to {@link #ATTACHED_NETWORKS}: the sequence of those links. */
  public static final String ATTACH_SEQUENCE = "weft.dev/attach-sequence";

  public NetworkPolicy {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    rules = Values.list(rules);
  }

  @Override
  public ObjectType type() {
    return ObjectType.NETWORK_POLICY;
  }

  @Override
  public List<Ref> refs() {
    return List.of();
  }
}
