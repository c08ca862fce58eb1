/**
 * The {@link dev.weft.store.ConfigStore} on etcd: the same revisioned, transactional, watchable
 * contract as the SQLite store, served by an etcd cluster so that several Weft processes on several
 * machines share one store. jetcd and its Vert.x 5 / Netty 4.2 stack are relocated inside this
 * module's jar and never reach its users.
 */
package dev.weft.store.etcd;
