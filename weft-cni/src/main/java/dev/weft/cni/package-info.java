/**
 * The Weft CNI plugin: {@link dev.weft.cni.Main} validates a CNI call (environment and network
 * configuration) and forwards it to the node's weft agent over a Unix socket, per PROTOCOL.md;
 * {@link dev.weft.cni.Installer} installs it with a fast-starting JVM launcher. Deliberately free
 * of runtime dependencies, JSON included ({@link dev.weft.cni.Json}), for startup time.
 */
package dev.weft.cni;
