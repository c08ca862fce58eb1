/**
 * The config store contract with etcd semantics: revisioned keys, compare-and-set transactions over
 * several keys, and watches from a revision. Implementations live in sub-packages.
 */
package dev.weft.store;
