/**
 * IP address management: addresses are reserved by keys in the config store, written in the same
 * transaction as the objects that use them, so an address is never given twice, even across
 * processes, and never leaks when a transaction fails.
 */
package dev.weft.store.ipam;
