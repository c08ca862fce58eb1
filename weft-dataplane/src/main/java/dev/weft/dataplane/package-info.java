/**
 * The {@link dev.weft.dataplane.Dataplane} contract, and the in-process forwarding model that
 * implements it over the compiled state: what the vRouter does with a packet, step by step. {@code
 * weft probe} and {@code weft trace} use the model; the Linux backend implements the same contract
 * with real packets, and must agree with the model cell for cell.
 */
package dev.weft.dataplane;
