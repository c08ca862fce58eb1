package dev.weft.store.objects;

import dev.weft.model.ConfigObject;

/** An object as read from the store, with the revision of its last write (for compare-and-set). */
public record Stored<T extends ConfigObject>(T object, long modRevision) {}
