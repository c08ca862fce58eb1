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
  /**
   * Version 2 keeps {@code kv} and {@code log} as rowid tables with separate key indexes; version 1
   * (WITHOUT ROWID tables) is upgraded on open.
   */
  static final int SCHEMA_VERSION = 2;

  static final int BUSY_TIMEOUT_MS = 10_000;
  static final int WAL_CHECKPOINT_FRAMES = 4_000;

  static final String KV_COLUMNS = "key, value, create_rev, mod_rev, version";
  static final String LOG_COLUMNS =
      "rev, key, type, value, create_rev, version,"
          + " prev_value, prev_create_rev, prev_mod_rev, prev_version";

  // Rowid tables, not WITHOUT ROWID: a WITHOUT ROWID table is an index b-tree, whose interior pages
  // hold whole rows. With 300-700-byte values that left a fanout of about 5: 140,000 keys made a
  // tree 7 levels deep with 16% interior pages, and each put wrote 3.0 WAL frames (a split rewrites
  // whole rows at several levels), which made COMMIT most of the writer's time. Here rows live in
  // tables that new keys and new revisions only append to (fanout 400, 3 levels), and the random,
  // UUID-spread part is a narrow index of keys (fanout 40): 1.7 WAL frames per put.
  private static final String CREATE_KV =
      // Keys are UTF-8 BLOBs so that SQLite orders them by bytes, as etcd does.
      "CREATE TABLE kv ("
          + " key BLOB NOT NULL,"
          + " value BLOB NOT NULL,"
          + " create_rev INTEGER NOT NULL,"
          + " mod_rev INTEGER NOT NULL,"
          + " version INTEGER NOT NULL)";
  private static final String CREATE_KV_INDEX = "CREATE UNIQUE INDEX kv_key ON kv (key)";
  private static final String CREATE_LOG =
      "CREATE TABLE log ("
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
          + " prev_version INTEGER)";
  private static final String CREATE_LOG_INDEX = "CREATE UNIQUE INDEX log_rev ON log (rev, seq)";
  private static final String CREATE_META =
      "CREATE TABLE meta (name TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID";

  private static final String LOG_ALL_COLUMNS =
      "rev, seq, key, type, value, create_rev, version,"
          + " prev_value, prev_create_rev, prev_mod_rev, prev_version";

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
    // A checkpoint copies each page once however often the WAL rewrote it, then syncs the file.
    // Every batch rewrites the append points, the meta row and index interior pages, so waiting for
    // 4,000 frames (16 MiB) instead of SQLite's 1,000 cut the pages copied by 28% and the database
    // fsyncs by 74% in SqliteObjectTxnThroughput; the price is a pause of about 15 ms instead of
    // 6 ms once every 4,000 frames, and that much more WAL to replay after a crash.
    config.setPragma(SQLiteConfig.Pragma.WAL_AUTOCHECKPOINT, String.valueOf(WAL_CHECKPOINT_FRAMES));
    return config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
  }

  /**
   * Creates the tables in a new file, upgrades a version 1 file, and checks the schema version; run
   * on the writer, in one transaction, so that processes opening the file together do it once.
   */
  static void initSchema(Connection conn, Path file) throws SQLException {
    try (Statement st = conn.createStatement()) {
      st.execute("BEGIN IMMEDIATE");
      boolean committed = false;
      try {
        long version = schemaVersion(st);
        if (version == 0) {
          create(st);
        } else if (version == 1) {
          upgradeFromVersion1(st);
        } else if (version != SCHEMA_VERSION) {
          throw new StoreException(
              file
                  + ": expected weft store schema version "
                  + SCHEMA_VERSION
                  + " (or 1, which is upgraded), found "
                  + version);
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

  /** The file's schema version: 0 for an empty file, -1 for tables that are not a weft store. */
  private static long schemaVersion(Statement st) throws SQLException {
    try (ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_schema")) {
      if (rs.next() && rs.getLong(1) == 0) {
        return 0;
      }
    }
    try (ResultSet rs =
        st.executeQuery(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'meta'")) {
      if (!rs.next() || rs.getLong(1) == 0) {
        return -1;
      }
    }
    try (ResultSet rs = st.executeQuery("SELECT value FROM meta WHERE name = 'schema_version'")) {
      return rs.next() ? rs.getLong(1) : -1;
    }
  }

  private static void create(Statement st) throws SQLException {
    st.execute(CREATE_KV);
    st.execute(CREATE_KV_INDEX);
    st.execute(CREATE_LOG);
    st.execute(CREATE_LOG_INDEX);
    st.execute(CREATE_META);
    st.execute(
        "INSERT INTO meta (name, value) VALUES"
            + " ('schema_version', "
            + SCHEMA_VERSION
            + "), ('revision', 0), ('compact_revision', 0)");
  }

  /**
   * Copies a version 1 file's WITHOUT ROWID tables into version 2 tables. A process still running
   * version 1 code keeps working on the new tables (its statements are re-prepared, and its {@code
   * INSERT OR REPLACE} hits the unique key index); one that opens the file afterwards is refused.
   */
  private static void upgradeFromVersion1(Statement st) throws SQLException {
    st.execute("ALTER TABLE kv RENAME TO kv_v1");
    st.execute("ALTER TABLE log RENAME TO log_v1");
    st.execute(CREATE_KV);
    st.execute(CREATE_KV_INDEX);
    st.execute(CREATE_LOG);
    st.execute(CREATE_LOG_INDEX);
    st.execute(
        "INSERT INTO kv ("
            + KV_COLUMNS
            + ") SELECT "
            + KV_COLUMNS
            + " FROM kv_v1 ORDER BY create_rev, key");
    st.execute(
        "INSERT INTO log ("
            + LOG_ALL_COLUMNS
            + ") SELECT "
            + LOG_ALL_COLUMNS
            + " FROM log_v1 ORDER BY rev, seq");
    st.execute("DROP TABLE kv_v1");
    st.execute("DROP TABLE log_v1");
    st.execute("UPDATE meta SET value = " + SCHEMA_VERSION + " WHERE name = 'schema_version'");
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
