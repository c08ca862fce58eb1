/**
 * The kube-manager: watches Kubernetes, translates its intent into Weft's network objects, and
 * converges the config store to them.
 */
package dev.weft.kube;
