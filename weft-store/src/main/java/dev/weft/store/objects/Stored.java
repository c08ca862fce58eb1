package dev.weft.store.objects;

import dev.weft.model.ConfigObject;

/**
 * An object as read from the store, with the revision of its last write (for compare-and-set) and
 * of its creation (the same in every reader of the store: an order of creation every node agrees
 * on).
 */
public record Stored<T extends ConfigObject>(T object, long modRevision, long createRevision) {
  /** An object whose creation revision is not known (as old as its last write). */
  public Stored(T object, long modRevision) {
    this(object, modRevision, modRevision);
  }
}
