package dev.weft.store.sqlite;

import dev.weft.store.StoreException;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Deque;

/** Reading connections shared by callers, watches and the poller; grows on demand. */
final class ReadPool implements AutoCloseable {
  private static final int MAX_IDLE = 8;

  private final Path file;
  private final Deque<ReadConnection> idle = new ArrayDeque<>();
  private boolean closed;

  ReadPool(Path file) {
    this.file = file;
  }

  /** Work done with a connection. */
  interface SqlFunction<T> {
    T apply(ReadConnection conn) throws SQLException;
  }

  /**
   * Runs {@code work} on a pooled connection.
   *
   * @throws StoreException when SQLite fails or the pool is closed
   */
  <T> T read(SqlFunction<T> work) {
    ReadConnection conn = borrow();
    boolean ok = false;
    try {
      T result = work.apply(conn);
      ok = true;
      return result;
    } catch (SQLException e) {
      throw new StoreException("sqlite:" + file + ": read failed: " + e.getMessage(), e);
    } finally {
      giveBack(conn, ok);
    }
  }

  private ReadConnection borrow() {
    synchronized (this) {
      if (closed) {
        throw new StoreException("sqlite:" + file + " is closed");
      }
      ReadConnection conn = idle.pollFirst();
      if (conn != null) {
        return conn;
      }
    }
    try {
      return new ReadConnection(Db.connect(file));
    } catch (SQLException e) {
      throw new StoreException("sqlite:" + file + ": cannot open: " + e.getMessage(), e);
    }
  }

  private void giveBack(ReadConnection conn, boolean healthy) {
    synchronized (this) {
      if (healthy && !closed && idle.size() < MAX_IDLE) {
        idle.addFirst(conn);
        return;
      }
    }
    conn.close();
  }

  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      idle.forEach(ReadConnection::close);
      idle.clear();
    }
  }
}
