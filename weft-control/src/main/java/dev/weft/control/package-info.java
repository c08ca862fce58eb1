/**
 * Control: compiles Weft's objects, as the store holds them, into forwarding state the way
 * Contrail's control node and vRouter agent do. One routing instance (VRF) per virtual network with
 * the host routes of its interfaces, routes leaked from networks joined to it by a network policy
 * between networks, and the network's ACL (its policies' rules, in order). A service is one next
 * hop (its listeners' ready backends) shared by every way into it: its VIP, the floating IPs that
 * front its load balancer, and its node ports on every node's address. The state is kept
 * incrementally from the store's watch, and it is the input of every {@code Dataplane}: the
 * in-process forwarding model and the Linux backend read the same thing. Kubernetes NetworkPolicy
 * is compiled alongside, by {@link dev.weft.control.policy.PolicyEngine}, into shared groups of
 * pods and per-pod policies ({@link dev.weft.control.CompiledView#policies()}), with deltas for
 * agents.
 */
package dev.weft.control;
