package dev.weft.store.memory;

import dev.weft.store.Watch;
import dev.weft.store.WatchListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One watch of a {@link MemoryConfigStore}, delivering on its own thread. */
final class MemoryWatch implements Watch {
  private static final Logger LOG = LoggerFactory.getLogger(MemoryWatch.class);

  private final MemoryConfigStore store;
  private final String prefix;
  private final long fromRevision;
  private final WatchListener listener;
  private volatile boolean closed;

  MemoryWatch(MemoryConfigStore store, String prefix, long fromRevision, WatchListener listener) {
    this.store = store;
    this.prefix = prefix;
    this.fromRevision = fromRevision;
    this.listener = listener;
  }

  void start(String name) {
    Thread thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  String prefix() {
    return prefix;
  }

  boolean isClosed() {
    return closed;
  }

  private void run() {
    long next = fromRevision;
    try {
      while (true) {
        MemoryConfigStore.Batch batch = store.awaitBatch(this, next);
        if (batch == null) {
          return;
        }
        if (batch.compactedAt() > 0) {
          if (!closed) {
            listener.onCompacted(batch.compactedAt());
          }
          return;
        }
        next = batch.nextRevision();
        if (!batch.events().isEmpty() && !closed) {
          listener.onEvents(batch.events());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.warn("watch of prefix \"{}\" on {} failed; ending it", prefix, store.describe(), e);
      if (!closed) {
        listener.onError(e);
      }
    } finally {
      closed = true;
      store.removeWatch(this);
    }
  }

  /**
   * Stops the watch: no callback starts after this returns (one already running may finish).
   * Idempotent; may be called from the watch's own callback.
   */
  @Override
  public void close() {
    closed = true;
    store.wakeWatches();
  }
}
