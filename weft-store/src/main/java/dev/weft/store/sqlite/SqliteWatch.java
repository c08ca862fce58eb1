package dev.weft.store.sqlite;

import dev.weft.store.Watch;
import dev.weft.store.WatchListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch of a {@link SqliteConfigStore}: a thread that reads the change log from its next
 * revision whenever the {@link RevisionSignal} says there is more, and hands it to the listener.
 * Replay and live delivery are the same loop, so there is no gap or overlap between them.
 */
final class SqliteWatch implements Watch {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteWatch.class);
  static final int MAX_REVISIONS_PER_DELIVERY = 1_000;

  private final SqliteConfigStore store;
  private final ReadPool reads;
  private final RevisionSignal signal;
  private final String prefix;
  private final KeyRange range;
  private final long fromRevision;
  private final WatchListener listener;
  private final Thread thread;
  private volatile boolean closed;

  SqliteWatch(
      SqliteConfigStore store,
      ReadPool reads,
      RevisionSignal signal,
      String prefix,
      long fromRevision,
      WatchListener listener) {
    this.store = store;
    this.reads = reads;
    this.signal = signal;
    this.prefix = prefix;
    this.range = KeyRange.prefix(prefix);
    this.fromRevision = fromRevision;
    this.listener = listener;
    this.thread = new Thread(this::run, "weft-sqlite-watch " + prefix);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  Thread thread() {
    return thread;
  }

  private void run() {
    long next = fromRevision;
    try {
      while (signal.await(next, () -> closed)) {
        long from = next;
        ReadConnection.LogBatch batch =
            reads.read(c -> c.readLog(range, from, MAX_REVISIONS_PER_DELIVERY));
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
      if (!closed) {
        LOG.warn("watch of prefix \"{}\" on {} failed; ending it", prefix, store.describe(), e);
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
    signal.wakeAll();
  }
}
