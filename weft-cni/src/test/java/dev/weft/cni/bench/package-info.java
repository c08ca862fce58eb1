/** Latency harnesses for the CNI plugin, run by hand; not part of the test suite. */
package dev.weft.cni.bench;
