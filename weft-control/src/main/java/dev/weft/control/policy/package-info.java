/**
 * Kubernetes NetworkPolicy, kept incrementally: the firewall policies the kube-manager translates
 * NetworkPolicies into, the pods' labels and declared ports, and the namespaces' labels, compiled
 * into shared groups of pods and judged per packet by the forwarding model.
 *
 * <p>The shape is Antrea's controller's. Every distinct selector is interned once as a {@link
 * GroupKey}: an applied-to or peer group is "pods matching a pod selector in one namespace" or
 * "pods matching a pod selector in the namespaces a namespace selector matches", reference-counted
 * by the policies naming it. Each group keeps its member set, and label indexes (namespace labels
 * globally, pod labels per namespace) make computing a new group cost about the size of its result.
 * Groups are in turn indexed by the label terms their selectors hold ({@code key=value} for {@code
 * matchLabels}, {@code In}, {@code NotIn}; {@code key} for {@code Exists}, {@code DoesNotExist}),
 * so a pod whose {@code app} changed from {@code web} to {@code db} is re-judged only by the groups
 * that mention {@code app=web} or {@code app=db}, and a pod added only by those its labels name
 * plus those that select a pod with no labels at all. Changes come out as a {@link PolicyDelta}:
 * group members gained and lost, policies and interfaces whose rules changed, which is what an
 * agent programming nftables sets consumes.
 *
 * <p>Semantics are upstream's ({@code networking.k8s.io/v1}): a pod selected by no policy of a
 * direction is unrestricted in that direction; selected pods get the union of what their policies
 * allow; a connection needs egress allowed at the source and ingress at the destination; a pod
 * always reaches itself; peers are pods (by selectors) or addresses (ipBlock, of pods too); named
 * ports resolve against the destination pod's declared container ports.
 */
package dev.weft.control.policy;
