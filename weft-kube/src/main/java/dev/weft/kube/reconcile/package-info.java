/**
 * Reconcilers: for one key (the cluster, a namespace, a node, a pod, a service, a network policy)
 * read the current Kubernetes state from informer caches, compute the desired objects, and converge
 * the store to them.
 */
package dev.weft.kube.reconcile;
