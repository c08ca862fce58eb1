package dev.weft.store.sqlite;

import dev.weft.store.ConfigStore;
import dev.weft.store.KeyValue;
import dev.weft.store.RangeResult;
import dev.weft.store.StoreException;
import dev.weft.store.Txn;
import dev.weft.store.TxnResult;
import dev.weft.store.Watch;
import dev.weft.store.WatchListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ConfigStore} in one SQLite file: durable on return (WAL, {@code synchronous=FULL}),
 * group-committed by a single writer thread, and shareable by several processes on one host.
 *
 * <p>Thread-safe. Each watch delivers on its own daemon thread; changes committed by other
 * processes reach watches within {@link #POLL_INTERVAL_MILLIS}. The change log keeps the last
 * {@code keepRevisions} revisions and is compacted automatically beyond that.
 */
public final class SqliteConfigStore implements ConfigStore {
  private static final Logger LOG = LoggerFactory.getLogger(SqliteConfigStore.class);

  /** Revisions of change history kept by default before automatic compaction. */
  public static final long DEFAULT_KEEP_REVISIONS = 100_000;

  /** How often the file is checked for commits made by other processes. */
  public static final long POLL_INTERVAL_MILLIS = 50;

  private final String description;
  private final ReadPool reads;
  private final RevisionSignal signal;
  private final GroupCommitter writer;
  private final ScheduledExecutorService poller;
  private final Set<SqliteWatch> watches = ConcurrentHashMap.newKeySet();
  private final Object lifecycle = new Object();
  private volatile boolean closed;

  private SqliteConfigStore(Path file, Connection writerConn, long revision, long keepRevisions) {
    this.description = "sqlite:" + file;
    this.reads = new ReadPool(file);
    this.signal = new RevisionSignal(revision);
    this.writer = new GroupCommitter(writerConn, signal, keepRevisions, description);
    this.poller =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "weft-sqlite-poll " + file);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Opens (creating if needed) the store in {@code dbFile}, keeping 100,000 revisions of history.
   */
  public static SqliteConfigStore open(Path dbFile) {
    return open(dbFile, DEFAULT_KEEP_REVISIONS);
  }

  /**
   * Opens (creating if needed) the store in {@code dbFile}, keeping the change history of the last
   * {@code keepRevisions} revisions for watches.
   *
   * @throws StoreException if the file cannot be opened or holds another schema
   * @throws IllegalArgumentException if {@code keepRevisions < 1}
   */
  public static SqliteConfigStore open(Path dbFile, long keepRevisions) {
    Objects.requireNonNull(dbFile, "dbFile");
    if (keepRevisions < 1) {
      throw new IllegalArgumentException("keepRevisions must be at least 1, got " + keepRevisions);
    }
    Path file = dbFile.toAbsolutePath();
    Connection conn = null;
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      conn = Db.connect(file);
      Db.initSchema(conn, file);
      SqliteConfigStore store = new SqliteConfigStore(file, conn, 0, keepRevisions);
      store.signal.advance(store.reads.read(ReadConnection::revision));
      store.writer.start();
      store.poller.scheduleWithFixedDelay(
          store::poll, POLL_INTERVAL_MILLIS, POLL_INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
      return store;
    } catch (IOException | SQLException | RuntimeException e) {
      if (conn != null) {
        try {
          conn.close();
        } catch (SQLException suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      if (e instanceof StoreException s) {
        throw s;
      }
      throw new StoreException("sqlite:" + file + ": cannot open: " + e.getMessage(), e);
    }
  }

  private void poll() {
    if (closed || watches.isEmpty()) {
      return;
    }
    try {
      // Other processes commit without telling us; one indexed row read per tick finds out.
      signal.advance(reads.read(ReadConnection::revision));
    } catch (RuntimeException e) {
      if (!closed) {
        LOG.warn("{}: polling for changes failed", description, e);
      }
    }
  }

  @Override
  public long revision() {
    ensureOpen();
    return reads.read(ReadConnection::revision);
  }

  @Override
  public Optional<KeyValue> get(String key) {
    Objects.requireNonNull(key, "key");
    ensureOpen();
    return reads.read(c -> c.get(key));
  }

  @Override
  public RangeResult range(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    ensureOpen();
    ReadConnection.RangeSnapshot snapshot = reads.read(c -> c.range(prefix));
    return new RangeResult(List.copyOf(snapshot.kvs()), snapshot.revision());
  }

  /**
   * Applies {@code txn} and returns once it is durably committed, together with whatever other
   * transactions were waiting at the same time.
   *
   * @throws IllegalArgumentException if a branch writes one key twice
   * @throws StoreException if SQLite fails, the store is closed, or the caller is interrupted
   */
  @Override
  public TxnResult txn(Txn txn) {
    java.util.Objects.requireNonNull(txn, "txn");
    CompletableFuture<TxnResult> result;
    synchronized (lifecycle) {
      ensureOpen();
      result = writer.submit(txn);
    }
    return await(result);
  }

  @Override
  public Watch watch(String prefix, long fromRevision, WatchListener listener) {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(listener, "listener");
    if (fromRevision < 0) {
      throw new IllegalArgumentException("fromRevision must be >= 0, got " + fromRevision);
    }
    synchronized (lifecycle) {
      ensureOpen();
      long from = fromRevision == 0 ? reads.read(ReadConnection::revision) + 1 : fromRevision;
      SqliteWatch watch = new SqliteWatch(this, reads, signal, prefix, from, listener);
      watches.add(watch);
      watch.start();
      return watch;
    }
  }

  /** How the writer has grouped commits so far. */
  GroupCommitter.Stats commitStats() {
    return writer.stats();
  }

  void removeWatch(SqliteWatch watch) {
    watches.remove(watch);
  }

  /**
   * Drops the change history older than {@code revision}; compacting to a revision already
   * compacted is a no-op.
   *
   * @throws IllegalArgumentException if {@code revision} is newer than the store's revision
   */
  @Override
  public void compact(long revision) {
    CompletableFuture<Void> result;
    synchronized (lifecycle) {
      ensureOpen();
      result = writer.compact(revision);
    }
    await(result);
  }

  @Override
  public String describe() {
    return description;
  }

  /**
   * Commits the transactions already submitted, ends every watch, stops the threads and closes the
   * file; later calls throw {@link StoreException}. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
    }
    boolean interrupted = false;
    try {
      writer.stop();
    } catch (InterruptedException e) {
      interrupted = true;
    }
    poller.shutdownNow();
    signal.close();
    for (SqliteWatch watch : List.copyOf(watches)) {
      watch.close();
      if (watch.thread() != Thread.currentThread()) {
        try {
          // Bounded: a listener stuck in a callback must not hang close().
          watch.thread().join(2_000);
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    }
    reads.close();
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new StoreException(description + " is closed");
    }
  }

  private <T> T await(CompletableFuture<T> result) {
    try {
      return result.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException(
          description + ": interrupted while waiting for the commit (it may still happen)", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IllegalArgumentException iae) {
        throw new IllegalArgumentException(iae.getMessage(), iae);
      }
      if (cause instanceof StoreException se) {
        throw new StoreException(se.getMessage(), se);
      }
      throw new StoreException(description + ": commit failed: " + cause.getMessage(), cause);
    }
  }

  @Override
  public String toString() {
    return description;
  }
}
