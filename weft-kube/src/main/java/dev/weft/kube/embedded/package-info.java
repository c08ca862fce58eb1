/**
 * The embedded cluster for {@code weft up} without a kubeconfig: the fabric8 mock API server in
 * CRUD mode, and stand-ins that do what a real control plane would (and nothing more). They never
 * run against a real cluster.
 */
package dev.weft.kube.embedded;
