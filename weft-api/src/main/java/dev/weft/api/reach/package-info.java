/**
 * Reachability through the forwarding model, for {@code weft probe} and {@code weft trace}: which
 * pods exist and which ports they declare (from Kubernetes), the barrier that waits until Weft has
 * processed every change made before the call, and the matrix or the path of one packet.
 */
package dev.weft.api.reach;
