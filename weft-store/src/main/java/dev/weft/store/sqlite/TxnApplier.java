package dev.weft.store.sqlite;

import dev.weft.store.Compare;
import dev.weft.store.KeyValue;
import dev.weft.store.Operation;
import dev.weft.store.Txn;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Evaluates and applies transactions on the writer connection, inside a SQLite transaction the
 * caller has begun; reads see the writes of the transactions applied before in the same batch.
 */
final class TxnApplier {
  // Every statement the writer runs per key or per batch is an index search (QueryPlanTest).
  static final String GET_SQL = "SELECT " + Db.KV_COLUMNS + " FROM kv WHERE key = ?";
  static final String INSERT_SQL = "INSERT INTO kv (" + Db.KV_COLUMNS + ") VALUES (?, ?, ?, ?, ?)";
  static final String UPDATE_SQL =
      "UPDATE kv SET value = ?, mod_rev = ?, version = ? WHERE key = ?";
  static final String DELETE_SQL = "DELETE FROM kv WHERE key = ?";
  static final String LOG_SQL =
      "INSERT INTO log (rev, seq, key, type, value, create_rev, version, prev_value,"
          + " prev_create_rev, prev_mod_rev, prev_version)"
          + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  static final String TRIM_LOG_SQL = "DELETE FROM log WHERE rev < ?";

  private final Connection conn;
  private final Map<String, PreparedStatement> statements = new HashMap<>();
  // Keys read or written in the current SQLite transaction, with their state now (null: absent).
  // The writer holds the write lock for the whole transaction, so nothing else changes them; a
  // pod's txn compares each key it then puts, and this saves reading the key a second time.
  private final Map<String, KeyValue> known = new HashMap<>();

  TxnApplier(Connection conn) {
    this.conn = conn;
  }

  /**
   * Forgets what the previous SQLite transaction read; call after every BEGIN, since other
   * processes may have written between transactions.
   */
  void startTransaction() {
    known.clear();
  }

  /** Whether the compares held, and whether the chosen branch wrote anything. */
  record Outcome(boolean succeeded, boolean wrote) {}

  ReadConnection.Meta meta() throws SQLException {
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
    return new ReadConnection.Meta(revision, compact);
  }

  void writeMeta(long revision, long compactRevision) throws SQLException {
    PreparedStatement st = prepare("UPDATE meta SET value = ? WHERE name = ?");
    st.setLong(1, revision);
    st.setString(2, "revision");
    st.executeUpdate();
    st.setLong(1, compactRevision);
    st.setString(2, "compact_revision");
    st.executeUpdate();
  }

  void deleteLogBefore(long revision) throws SQLException {
    PreparedStatement st = prepare(TRIM_LOG_SQL);
    st.setLong(1, revision);
    st.executeUpdate();
  }

  /** Applies {@code txn}; its writes, if any, are at revision {@code rev}. */
  Outcome apply(Txn txn, long rev) throws SQLException {
    boolean succeeded = true;
    for (Compare compare : txn.compares()) {
      if (!compare.test(get(compare.key()))) {
        succeeded = false;
        break;
      }
    }
    int seq = 0;
    for (Operation op : succeeded ? txn.success() : txn.failure()) {
      if (op instanceof Operation.Put put) {
        KeyValue prev = get(put.key());
        KeyValue kv =
            prev == null
                ? new KeyValue(put.key(), put.value(), rev, rev, 1)
                : new KeyValue(
                    put.key(), put.value(), prev.createRevision(), rev, prev.version() + 1);
        if (prev == null) {
          insert(kv);
        } else {
          update(kv);
        }
        log(rev, seq++, kv, prev);
      } else if (op instanceof Operation.Delete) {
        KeyValue prev = get(op.key());
        if (prev != null) {
          delete(prev);
          log(rev, seq++, null, prev);
        }
      } else {
        for (KeyValue prev : range(op.key())) {
          delete(prev);
          log(rev, seq++, null, prev);
        }
      }
    }
    return new Outcome(succeeded, seq > 0);
  }

  private KeyValue get(String key) throws SQLException {
    if (known.containsKey(key)) {
      return known.get(key);
    }
    PreparedStatement st = prepare(GET_SQL);
    st.setBytes(1, Db.encode(key));
    KeyValue kv;
    try (ResultSet rs = st.executeQuery()) {
      kv = rs.next() ? Db.kv(rs) : null;
    }
    known.put(key, kv);
    return kv;
  }

  private List<KeyValue> range(String prefix) throws SQLException {
    KeyRange range = KeyRange.prefix(prefix);
    PreparedStatement st = prepare(ReadConnection.rangeSql(range));
    range.bind(st, 1);
    List<KeyValue> kvs = new ArrayList<>();
    try (ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        kvs.add(Db.kv(rs));
      }
    }
    return kvs;
  }

  private void update(KeyValue kv) throws SQLException {
    PreparedStatement st = prepare(UPDATE_SQL);
    st.setBytes(1, kv.value());
    st.setLong(2, kv.modRevision());
    st.setLong(3, kv.version());
    st.setBytes(4, Db.encode(kv.key()));
    st.executeUpdate();
    known.put(kv.key(), kv);
  }

  private void insert(KeyValue kv) throws SQLException {
    PreparedStatement st = prepare(INSERT_SQL);
    st.setBytes(1, Db.encode(kv.key()));
    st.setBytes(2, kv.value());
    st.setLong(3, kv.createRevision());
    st.setLong(4, kv.modRevision());
    st.setLong(5, kv.version());
    st.executeUpdate();
    known.put(kv.key(), kv);
  }

  private void delete(KeyValue kv) throws SQLException {
    PreparedStatement st = prepare(DELETE_SQL);
    st.setBytes(1, Db.encode(kv.key()));
    st.executeUpdate();
    known.put(kv.key(), null);
  }

  /** Logs a put of {@code kv}, or a delete when {@code kv} is null. */
  private void log(long rev, int seq, KeyValue kv, KeyValue prev) throws SQLException {
    PreparedStatement st = prepare(LOG_SQL);
    st.setLong(1, rev);
    st.setInt(2, seq);
    st.setBytes(3, Db.encode(kv != null ? kv.key() : prev.key()));
    st.setString(4, kv != null ? "PUT" : "DELETE");
    if (kv != null) {
      st.setBytes(5, kv.value());
      st.setLong(6, kv.createRevision());
      st.setLong(7, kv.version());
    } else {
      st.setNull(5, Types.BLOB);
      st.setLong(6, 0);
      st.setLong(7, 0);
    }
    if (prev != null) {
      st.setBytes(8, prev.value());
      st.setLong(9, prev.createRevision());
      st.setLong(10, prev.modRevision());
      st.setLong(11, prev.version());
    } else {
      st.setNull(8, Types.BLOB);
      st.setNull(9, Types.INTEGER);
      st.setNull(10, Types.INTEGER);
      st.setNull(11, Types.INTEGER);
    }
    st.executeUpdate();
  }

  private PreparedStatement prepare(String sql) throws SQLException {
    PreparedStatement st = statements.get(sql);
    if (st == null) {
      st = conn.prepareStatement(sql);
      statements.put(sql, st);
    }
    return st;
  }
}
