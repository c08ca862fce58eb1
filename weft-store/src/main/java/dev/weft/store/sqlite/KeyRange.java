package dev.weft.store.sqlite;

import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The keys starting with a prefix as a half-open byte range, so that SQLite answers it with a
 * primary-key range scan rather than a LIKE over every row.
 *
 * @param lower first key in the range, or {@code null} for every key
 * @param upper first key past the range, or {@code null} for no upper bound
 */
record KeyRange(byte[] lower, byte[] upper) {
  static KeyRange prefix(String prefix) {
    if (prefix.isEmpty()) {
      return new KeyRange(null, null);
    }
    byte[] lower = Db.encode(prefix);
    return new KeyRange(lower, Db.upperBound(lower));
  }

  /** A SQL condition on {@code key}, with {@link #parameterCount()} parameters. */
  String condition() {
    if (lower == null) {
      return "1";
    }
    return upper == null ? "key >= ?" : "key >= ? AND key < ?";
  }

  int parameterCount() {
    return lower == null ? 0 : upper == null ? 1 : 2;
  }

  /** Binds the condition's parameters starting at {@code index}; returns the next index. */
  int bind(PreparedStatement st, int index) throws SQLException {
    if (lower != null) {
      st.setBytes(index++, lower);
      if (upper != null) {
        st.setBytes(index++, upper);
      }
    }
    return index;
  }
}
