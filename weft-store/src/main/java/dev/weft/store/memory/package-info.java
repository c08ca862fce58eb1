/** An in-memory {@link dev.weft.store.ConfigStore} with etcd semantics, for fast tests. */
package dev.weft.store.memory;
