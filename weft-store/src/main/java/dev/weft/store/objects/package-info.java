/**
 * Weft's objects on top of the key/value store: their keys, JSON encoding, transactional writes
 * with FQ-name uniqueness, and a watch-fed cache with owner, back-reference and child indexes.
 */
package dev.weft.store.objects;
