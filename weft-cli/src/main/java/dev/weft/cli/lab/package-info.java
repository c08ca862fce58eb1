/**
 * The local multi-node lab of {@code weft up --lab}: the embedded cluster's nodes as network
 * namespaces on this machine, each programmed by a {@code weft agent} child process, pods wired by
 * the real CNI plugin, a gateway namespace, and {@code weft probe --real} measuring reachability
 * with real connections from inside the pods.
 */
package dev.weft.cli.lab;
