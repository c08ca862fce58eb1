/**
 * The boundary with fabric8: informers that feed the work queue, the translation of fabric8 types
 * into Weft's records, and the writers of annotations and Events. Nothing past this package sees a
 * fabric8 type.
 */
package dev.weft.kube.k8s;
