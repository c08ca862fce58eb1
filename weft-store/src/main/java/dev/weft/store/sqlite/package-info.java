/**
 * A {@link dev.weft.store.ConfigStore} in one SQLite file (WAL, group commit), shareable by several
 * processes on one host.
 */
package dev.weft.store.sqlite;
