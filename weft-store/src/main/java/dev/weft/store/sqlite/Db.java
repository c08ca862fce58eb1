package dev.weft.store.sqlite;

import dev.weft.store.KeyValue;
import dev.weft.store.StoreException;
import dev.weft.store.WatchEvent;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import org.sqlite.SQLiteConfig;

/** The SQLite schema, connection settings and key encoding shared by readers and the writer. */
final class Db {
  static final int SCHEMA_VERSION = 1;
  static final int BUSY_TIMEOUT_MS = 10_000;

  static final String KV_COLUMNS = "key, value, create_rev, mod_rev, version";
  static final String LOG_COLUMNS =
      "rev, key, type, value, create_rev, version,"
          + " prev_value, prev_create_rev, prev_mod_rev, prev_version";

  private static final String[] SCHEMA = {
    // Keys are UTF-8 BLOBs so that SQLite orders them by bytes, as etcd does.
    "CREATE TABLE IF NOT EXISTS kv ("
        + " id INTEGER PRIMARY KEY,"
        + " key BLOB NOT NULL UNIQUE,"
        + " value BLOB NOT NULL,"
        + " create_rev INTEGER NOT NULL,"
        + " mod_rev INTEGER NOT NULL,"
        + " version INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS log ("
        + " rev INTEGER NOT NULL,"
        + " seq INTEGER NOT NULL,"
        + " key BLOB NOT NULL,"
        + " type TEXT NOT NULL CHECK (type IN ('PUT', 'DELETE')),"
        + " value BLOB,"
        + " create_rev INTEGER NOT NULL,"
        + " version INTEGER NOT NULL,"
        + " prev_value BLOB,"
        + " prev_create_rev INTEGER,"
        + " prev_mod_rev INTEGER,"
        + " prev_version INTEGER,"
        + " PRIMARY KEY (rev, seq))",
    "CREATE TABLE IF NOT EXISTS meta ("
        + " name TEXT NOT NULL PRIMARY KEY,"
        + " value INTEGER NOT NULL) WITHOUT ROWID",
    "INSERT OR IGNORE INTO meta (name, value) VALUES"
        + " ('schema_version', "
        + SCHEMA_VERSION
        + "), ('revision', 0), ('compact_revision', 0)",
  };

  private Db() {}

  static Connection connect(Path file) throws SQLException {
    SQLiteConfig config = new SQLiteConfig();
    config.setJournalMode(SQLiteConfig.JournalMode.WAL);
    // FULL syncs the WAL on every commit: a returned txn survives power loss, not just kill -9.
    config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
    config.setBusyTimeout(BUSY_TIMEOUT_MS);
    // Otherwise the driver runs "select last_insert_rowid()" after every insert; nothing here
    // reads generated keys, and at scale that query was most of the writer's time.
    config.setGetGeneratedKeys(false);
    // 64 MiB of page cache (the default is 2 MiB): keys are spread over the B-tree by UUID, so a
    // small cache turns every write into reads of pages the previous batch just evicted.
    config.setCacheSize(-65536);
    if (Integer.getInteger("exp.page", 0) > 0) config.setPageSize(Integer.getInteger("exp.page"));
    if (System.getProperty("exp.sync") != null)
      config.setSynchronous(SQLiteConfig.SynchronousMode.valueOf(System.getProperty("exp.sync")));
    if (Boolean.getBoolean("exp.nockpt"))
      config.setPragma(SQLiteConfig.Pragma.WAL_AUTOCHECKPOINT, "0");
    return config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
  }

  /** Creates the tables if missing and checks the schema version; run on the writer. */
  static void initSchema(Connection conn, Path file) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("BEGIN IMMEDIATE");
      boolean committed = false;
      try {
        for (String sql : SCHEMA) {
          st.execute(sql);
        }
        try (ResultSet rs =
            st.executeQuery("SELECT value FROM meta WHERE name = 'schema_version'")) {
          long version = rs.next() ? rs.getLong(1) : -1;
          if (version != SCHEMA_VERSION) {
            throw new StoreException(
                file
                    + ": expected weft store schema version "
                    + SCHEMA_VERSION
                    + ", found "
                    + version);
          }
        }
        st.execute("COMMIT");
        committed = true;
      } finally {
        if (!committed) {
          st.execute("ROLLBACK");
        }
      }
    }
  }

  static byte[] encode(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }

  static String decode(byte[] key) {
    return new String(key, StandardCharsets.UTF_8);
  }

  /**
   * The smallest byte string greater than every key starting with {@code prefix}, or {@code null}
   * when there is none (an empty prefix or one of only 0xFF bytes, which UTF-8 never produces).
   */
  static byte[] upperBound(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xFF) {
        byte[] upper = Arrays.copyOf(prefix, i + 1);
        upper[i]++;
        return upper;
      }
    }
    return null;
  }

  /** Reads a row selected with {@link #KV_COLUMNS}. */
  static KeyValue kv(ResultSet rs) throws SQLException {
    return new KeyValue(
        decode(rs.getBytes(1)), bytes(rs, 2), rs.getLong(3), rs.getLong(4), rs.getLong(5));
  }

  /** Reads a row selected with {@link #LOG_COLUMNS}. */
  static WatchEvent event(ResultSet rs) throws SQLException {
    long rev = rs.getLong(1);
    String key = decode(rs.getBytes(2));
    KeyValue prev = null;
    rs.getLong(9);
    if (!rs.wasNull()) {
      prev = new KeyValue(key, bytes(rs, 7), rs.getLong(8), rs.getLong(9), rs.getLong(10));
    }
    if ("PUT".equals(rs.getString(3))) {
      return new WatchEvent(
          WatchEvent.Type.PUT,
          new KeyValue(key, bytes(rs, 4), rs.getLong(5), rev, rs.getLong(6)),
          prev);
    }
    return new WatchEvent(WatchEvent.Type.DELETE, new KeyValue(key, new byte[0], 0, rev, 0), prev);
  }

  private static byte[] bytes(ResultSet rs, int column) throws SQLException {
    byte[] b = rs.getBytes(column);
    return b == null ? new byte[0] : b;
  }
}
