/**
 * The agent's side of the CNI contract ({@code weft-cni/PROTOCOL.md}): a Unix domain socket server
 * ({@link dev.weft.agent.cni.CniServer}), the commands it serves ({@link
 * dev.weft.agent.cni.CniHandler}) and the pod veths it wires ({@link
 * dev.weft.agent.cni.PodWiring}).
 */
package dev.weft.agent.cni;
