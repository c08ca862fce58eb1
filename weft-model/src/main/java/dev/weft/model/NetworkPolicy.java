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
