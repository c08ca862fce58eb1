/**
 * Pure translation from Kubernetes intent (as Weft's own records) to desired Weft objects. No I/O:
 * every function here can be tested without a server.
 */
package dev.weft.kube.translate;
