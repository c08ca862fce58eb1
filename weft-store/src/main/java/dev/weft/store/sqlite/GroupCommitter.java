package dev.weft.store.sqlite;

import dev.weft.store.StoreException;
import dev.weft.store.Txn;
import dev.weft.store.TxnResult;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The single writer: drains every queued request into one SQLite transaction, so that one fsync
 * commits a whole batch, and completes each request only once the batch is durable.
 */
final class GroupCommitter {
  private static final Logger LOG = LoggerFactory.getLogger(GroupCommitter.class);
  private static final int MAX_BATCH = 1_000;

  /** Work for the writer thread. */
  private sealed interface Request permits TxnRequest, CompactRequest, Stop {}

  private record TxnRequest(Txn txn, CompletableFuture<TxnResult> result) implements Request {}

  private record CompactRequest(long revision, CompletableFuture<Void> result) implements Request {}

  private enum Stop implements Request {
    INSTANCE
  }

  private final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final Connection conn;
  private final TxnApplier applier;
  private final RevisionSignal signal;
  private final long keepRevisions;
  private final String name;
  private final Thread thread;
  // Written only by the writer thread; read by benchmarks and diagnostics.
  private volatile long batches;
  private volatile long requests;

  GroupCommitter(Connection conn, RevisionSignal signal, long keepRevisions, String name) {
    this.conn = conn;
    this.applier = new TxnApplier(conn);
    this.signal = signal;
    this.keepRevisions = keepRevisions;
    this.name = name;
    this.thread = new Thread(this::run, "weft-sqlite-writer " + name);
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Batches committed and the requests in them, for measuring how well commits group. */
  record Stats(long batches, long requests) {}

  Stats stats() {
    return new Stats(batches, requests);
  }

  CompletableFuture<TxnResult> submit(Txn txn) {
    CompletableFuture<TxnResult> result = new CompletableFuture<>();
    queue.add(new TxnRequest(txn, result));
    return result;
  }

  CompletableFuture<Void> compact(long revision) {
    CompletableFuture<Void> result = new CompletableFuture<>();
    queue.add(new CompactRequest(revision, result));
    return result;
  }

  /**
   * Commits what was submitted before this call, then stops the thread and closes the connection.
   * The caller must submit nothing afterwards.
   */
  void stop() throws InterruptedException {
    queue.add(Stop.INSTANCE);
    thread.join();
  }

  private void run() {
    List<Request> batch = new ArrayList<>();
    boolean stopping = false;
    try {
      while (!stopping) {
        batch.clear();
        batch.add(queue.take());
        queue.drainTo(batch, MAX_BATCH - 1);
        stopping = batch.remove(Stop.INSTANCE);
        if (!batch.isEmpty()) {
          try {
            commit(batch);
          } catch (RuntimeException | Error e) {
            // Keep the writer alive: a dead writer would leave every later caller waiting forever.
            LOG.error("{}: writer failed on a batch of {}", name, batch.size(), e);
            batch.forEach(r -> fail(r, e));
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      List<Request> left = new ArrayList<>();
      queue.drainTo(left);
      for (Request r : left) {
        fail(r, new StoreException(name + " is closed"));
      }
      try {
        conn.close();
      } catch (SQLException e) {
        LOG.warn("{}: closing the writer connection failed", name, e);
      }
    }
  }

  private void commit(List<Request> batch) {
    try {
      commitTogether(batch);
    } catch (Exception e) {
      if (batch.size() == 1 || isBusy(e)) {
        batch.forEach(r -> fail(r, e));
        return;
      }
      // One bad request must not fail the others that happened to share its batch.
      LOG.debug("{}: batch of {} failed, retrying one by one", name, batch.size(), e);
      for (Request r : batch) {
        try {
          commitTogether(List.of(r));
        } catch (Exception single) {
          fail(r, single);
        }
      }
    }
  }

  private void commitTogether(List<Request> batch) throws SQLException {
    Object[] outcomes = new Object[batch.size()];
    long revision;
    try (Statement st = conn.createStatement()) {
      // IMMEDIATE takes the write lock up front, so writers in other processes queue on
      // busy_timeout instead of failing a read-to-write upgrade.
      st.execute("BEGIN IMMEDIATE");
      boolean committed = false;
      try {
        applier.startTransaction();
        ReadConnection.Meta meta = applier.meta();
        revision = meta.revision();
        long compact = meta.compactRevision();
        for (int i = 0; i < batch.size(); i++) {
          Request r = batch.get(i);
          if (r instanceof TxnRequest t) {
            TxnApplier.Outcome outcome = applier.apply(t.txn(), revision + 1);
            if (outcome.wrote()) {
              revision++;
            }
            outcomes[i] = new TxnResult(outcome.succeeded(), revision);
          } else if (r instanceof CompactRequest c) {
            if (c.revision() > revision) {
              outcomes[i] =
                  new IllegalArgumentException(
                      "cannot compact to revision "
                          + c.revision()
                          + ": the store is at "
                          + revision);
            } else if (c.revision() > compact) {
              applier.deleteLogBefore(c.revision());
              compact = c.revision();
            }
          }
        }
        long oldestKept = revision - keepRevisions + 1;
        if (oldestKept > compact) {
          applier.deleteLogBefore(oldestKept);
          compact = oldestKept;
        }
        if (revision != meta.revision() || compact != meta.compactRevision()) {
          applier.writeMeta(revision, compact);
        }
        st.execute("COMMIT");
        committed = true;
      } finally {
        if (!committed) {
          rollbackQuietly(st);
        }
      }
    }
    signal.advance(revision);
    batches++;
    requests += batch.size();
    for (int i = 0; i < batch.size(); i++) {
      complete(batch.get(i), outcomes[i]);
    }
  }

  private static void complete(Request r, Object outcome) {
    if (outcome instanceof RuntimeException e) {
      fail(r, e);
    } else if (r instanceof TxnRequest t) {
      t.result().complete((TxnResult) outcome);
    } else if (r instanceof CompactRequest c) {
      c.result().complete(null);
    }
  }

  private static void fail(Request r, Throwable e) {
    if (r instanceof TxnRequest t) {
      t.result().completeExceptionally(e);
    } else if (r instanceof CompactRequest c) {
      c.result().completeExceptionally(e);
    }
  }

  private static boolean isBusy(Throwable e) {
    return e instanceof SQLiteException s
        && (s.getResultCode().code & 0xFF) == SQLiteErrorCode.SQLITE_BUSY.code;
  }

  private void rollbackQuietly(Statement st) {
    try {
      st.execute("ROLLBACK");
    } catch (SQLException e) {
      LOG.debug("{}: rollback failed (no transaction open?)", name, e);
    }
  }
}
