package dev.weft.store.sqlite;

import dev.weft.store.KeyValue;
import dev.weft.store.WatchEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** One reading connection with its prepared statements; used by one thread at a time. */
final class ReadConnection implements AutoCloseable {
  private final Connection conn;
  private final Statement plain;
  private final Map<String, PreparedStatement> statements = new HashMap<>();

  ReadConnection(Connection conn) throws SQLException {
    this.conn = conn;
    this.plain = conn.createStatement();
    plain.execute("PRAGMA query_only = 1");
  }

  /** Revision and compact revision, in that order. */
  record Meta(long revision, long compactRevision) {}

  /** Changes read from the log, or the compact revision when the start has been compacted. */
  record LogBatch(List<WatchEvent> events, long nextRevision, long compactedAt) {}

  Meta meta() throws SQLException {
    long revision = 0;
    long compact = 0;
    try (ResultSet rs =
        prepare("SELECT name, value FROM meta WHERE name IN ('revision', 'compact_revision')")
            .executeQuery()) {
      while (rs.next()) {
        if (rs.getString(1).equals("revision")) {
          revision = rs.getLong(2);
        } else {
          compact = rs.getLong(2);
        }
      }
    }
    return new Meta(revision, compact);
  }

  long revision() throws SQLException {
    try (ResultSet rs = prepare("SELECT value FROM meta WHERE name = 'revision'").executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  Optional<KeyValue> get(String key) throws SQLException {
    PreparedStatement st = prepare("SELECT " + Db.KV_COLUMNS + " FROM kv WHERE key = ?");
    st.setBytes(1, Db.encode(key));
    try (ResultSet rs = st.executeQuery()) {
      return rs.next() ? Optional.of(Db.kv(rs)) : Optional.empty();
    }
  }

  /** Keys under {@code prefix} and the revision they were read at, in one read transaction. */
  RangeSnapshot range(String prefix) throws SQLException {
    KeyRange range = KeyRange.prefix(prefix);
    return inReadTransaction(
        () -> {
          long revision = revision();
          PreparedStatement st = prepare(rangeSql(range));
          range.bind(st, 1);
          List<KeyValue> kvs = new ArrayList<>();
          try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              kvs.add(Db.kv(rs));
            }
          }
          return new RangeSnapshot(kvs, revision);
        });
  }

  record RangeSnapshot(List<KeyValue> kvs, long revision) {}

  /**
   * Log entries of keys in {@code range} with revisions {@code from .. from + maxRevisions - 1},
   * capped at the store's revision.
   */
  LogBatch readLog(KeyRange range, long from, int maxRevisions) throws SQLException {
    return inReadTransaction(
        () -> {
          Meta meta = meta();
          if (from < meta.compactRevision()) {
            return new LogBatch(List.of(), from, meta.compactRevision());
          }
          if (meta.revision() < from) {
            return new LogBatch(List.of(), from, 0);
          }
          long last = Math.min(meta.revision(), from + maxRevisions - 1);
          PreparedStatement st = prepare(logSql(range));
          st.setLong(1, from);
          st.setLong(2, last);
          range.bind(st, 3);
          List<WatchEvent> events = new ArrayList<>();
          try (ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
              events.add(Db.event(rs));
            }
          }
          return new LogBatch(events, last + 1, 0);
        });
  }

  /** Current keys in {@code range}, sorted; a primary-key range scan. */
  static String rangeSql(KeyRange range) {
    return "SELECT " + Db.KV_COLUMNS + " FROM kv WHERE " + range.condition() + " ORDER BY key";
  }

  /** Log entries between two revisions (inclusive) of keys in {@code range}. */
  static String logSql(KeyRange range) {
    return "SELECT "
        + Db.LOG_COLUMNS
        + " FROM log WHERE rev >= ? AND rev <= ? AND "
        + range.condition()
        + " ORDER BY rev, seq";
  }

  private interface SqlSupplier<T> {
    T get() throws SQLException;
  }

  private <T> T inReadTransaction(SqlSupplier<T> body) throws SQLException {
    // A deferred transaction pins one WAL snapshot for all its statements, so the revision and
    // the rows read with it agree even while the writer commits.
    plain.execute("BEGIN");
    boolean ok = false;
    try {
      T result = body.get();
      ok = true;
      return result;
    } finally {
      if (ok) {
        plain.execute("COMMIT");
      } else {
        plain.execute("ROLLBACK");
      }
    }
  }

  private PreparedStatement prepare(String sql) throws SQLException {
    PreparedStatement st = statements.get(sql);
    if (st == null) {
      st = conn.prepareStatement(sql);
      statements.put(sql, st);
    }
    return st;
  }

  @Override
  public void close() {
    try {
      conn.close();
    } catch (SQLException e) {
      // Closing is best effort; the connection holds no uncommitted writes.
    }
  }
}
