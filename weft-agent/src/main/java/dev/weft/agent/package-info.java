/**
 * The per-node agent's shared types: a {@link dev.weft.agent.Shell} that runs the system tools the
 * dataplane drives ({@code ip}, {@code bridge}, {@code nft}, {@code sysctl}) with timeouts and
 * errors that name the command and why it failed. {@link dev.weft.agent.Agent} is the node agent
 * ({@code weft agent}): {@link dev.weft.agent.node} follows the store and programs the node, {@link
 * dev.weft.agent.cni} serves the CNI; the Linux dataplane itself is in {@link
 * dev.weft.agent.linux}.
 */
package dev.weft.agent;
