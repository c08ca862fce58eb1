package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A Kubernetes NetworkPolicy as a firewall policy of its namespace's project: it applies to the
 * pods of {@code namespace} whose tags (pod labels) satisfy {@code podSelector}, and for each
 * direction it governs ({@code ingress}, {@code egress}: the NetworkPolicy's policyTypes, inferred
 * as Kubernetes does when absent) allows exactly what one of its rules allows. Policies combine as
 * a union: a pod selected by some policy of a direction takes what any of them allows; a pod
 * selected by none is unrestricted in that direction.
 *
 * <p>Rules name their peers by tag expressions over pod labels and namespace labels (separate tag
 * spaces) and by address blocks, never by member lists: a label change rewrites one interface's
 * tags, not the policies, and the compiler keeps the memberships.
 */
public record FirewallPolicy(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    String namespace,
    LabelSelector podSelector,
    boolean ingress,
    boolean egress,
    List<FirewallRule> ingressRules,
    List<FirewallRule> egressRules)
    implements ConfigObject {
  public FirewallPolicy {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    Objects.requireNonNull(namespace, "namespace");
    podSelector = podSelector == null ? LabelSelector.ALL : podSelector;
    ingressRules = Values.list(ingressRules);
    egressRules = Values.list(egressRules);
  }

  @Override
  public ObjectType type() {
    return ObjectType.FIREWALL_POLICY;
  }

  @Override
  public List<Ref> refs() {
    return List.of();
  }
}
