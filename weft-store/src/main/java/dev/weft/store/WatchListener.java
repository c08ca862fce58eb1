package dev.weft.store;

import java.util.List;

/**
 * Receives the changes of a watch, in revision order, each revision's events together. Callbacks
 * come from one thread per watch and never overlap.
 */
public interface WatchListener {
  /** Events of one or more consecutive revisions, oldest first. */
  void onEvents(List<WatchEvent> events);

  /**
   * The requested start revision has been compacted away: the watch has ended, and the watcher must
   * read the current state (range) and watch again from there.
   */
  default void onCompacted(long compactRevision) {}

  /** The watch ended with an error it cannot recover from. */
  default void onError(Throwable error) {}
}
