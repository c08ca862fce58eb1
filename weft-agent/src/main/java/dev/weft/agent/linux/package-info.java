/**
 * The Linux dataplane: {@link dev.weft.agent.linux.NodeRenderer} renders the compiled state into
 * the kernel state one node needs ({@link dev.weft.agent.linux.NodeState}: per-network routing
 * tables and VXLAN devices, policy routing, neighbour and fdb entries, and an nftables table for
 * NAT, network ACLs and NetworkPolicy), and {@link dev.weft.agent.linux.LinuxNode} reconciles a
 * node's network namespace to it, both ways, through a {@link dev.weft.agent.Shell}. Names and
 * numbers are derived, never stored ({@link dev.weft.agent.linux.Naming}), so any node and any
 * restart computes the same ones.
 */
package dev.weft.agent.linux;
