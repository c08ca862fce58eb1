package dev.weft.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prefix reads must be index range scans, and the writer's per-key and per-batch statements index
 * searches, never a scan of every key or every log entry.
 */
class QueryPlanTest {
  @TempDir Path dir;

  @Test
  void prefixRangeAndLogReadsUseIndexRanges() throws SQLException {
    Path file = dir.resolve("plan.db");
    SqliteConfigStore.open(file).close();
    try (Connection conn = Db.connect(file)) {
      KeyRange prefix = KeyRange.prefix("a/");

      assertThat(plan(conn, ReadConnection.rangeSql(prefix)))
          .contains("USING INDEX kv_key (key>? AND key<?)")
          .doesNotContain("SCAN");
      assertThat(plan(conn, ReadConnection.logSql(prefix)))
          .contains("USING INDEX log_rev (rev>? AND rev<?)")
          .doesNotContain("SCAN");
    }
  }

  @Test
  void theWritersStatementsSearchIndexes() throws SQLException {
    Path file = dir.resolve("writer-plan.db");
    SqliteConfigStore.open(file).close();
    try (Connection conn = Db.connect(file)) {
      for (String sql :
          new String[] {TxnApplier.GET_SQL, TxnApplier.UPDATE_SQL, TxnApplier.DELETE_SQL}) {
        assertThat(plan(conn, sql)).as(sql).contains("USING INDEX kv_key (key=?)");
        assertThat(plan(conn, sql)).as(sql).doesNotContain("SCAN");
      }
      // Automatic compaction runs this after every batch once the history is full.
      assertThat(plan(conn, TxnApplier.TRIM_LOG_SQL))
          .contains("USING INDEX log_rev (rev<?)")
          .doesNotContain("SCAN");
    }
  }

  @Test
  void thePrefixUpperBoundIsTheNextByteString() {
    assertThat(Db.upperBound(new byte[] {'a', '/'})).containsExactly('a', '0');
    assertThat(Db.upperBound(new byte[] {'a', (byte) 0xFF})).containsExactly('b');
    assertThat(Db.upperBound(new byte[] {(byte) 0xFF})).isNull();
    assertThat(KeyRange.prefix("").condition()).isEqualTo("1");
  }

  private static String plan(Connection conn, String sql) throws SQLException {
    StringBuilder plan = new StringBuilder();
    // Unbound parameters are NULL, which does not change the plan SQLite picks.
    try (PreparedStatement st = conn.prepareStatement("EXPLAIN QUERY PLAN " + sql);
        ResultSet rs = st.executeQuery()) {
      while (rs.next()) {
        plan.append(rs.getString(4)).append('\n');
      }
    }
    return plan.toString();
  }
}
