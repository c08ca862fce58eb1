package dev.weft.store.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.store.ConfigStore;
import dev.weft.store.ConfigStoreContract;
import dev.weft.store.Ev;
import dev.weft.store.EventCollector;
import dev.weft.store.Kv;
import dev.weft.store.StoreException;
import dev.weft.store.WatchEvent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteConfigStoreTest extends ConfigStoreContract {
  @TempDir Path dir;

  private final AtomicInteger files = new AtomicInteger();
  private final Map<ConfigStore, Path> paths = new IdentityHashMap<>();

  @Override
  protected synchronized ConfigStore newStore() {
    Path file = dir.resolve("store-" + files.incrementAndGet() + ".db");
    SqliteConfigStore store = SqliteConfigStore.open(file);
    paths.put(store, file);
    return store;
  }

  @Override
  protected synchronized Optional<ConfigStore> newPeer(ConfigStore store) {
    return Optional.of(SqliteConfigStore.open(paths.get(store)));
  }

  @Test
  void dataAndHistorySurviveReopening() {
    Path file = dir.resolve("reopen.db");
    List<Kv> before;
    long revision;
    try (SqliteConfigStore store = SqliteConfigStore.open(file)) {
      for (int i = 0; i < 10; i++) {
        put(store, "r/" + (i % 4), "v" + i);
      }
      delete(store, "r/0");
      store.compact(3);
      before = kvs(store.range(""));
      revision = store.revision();
    }

    try (SqliteConfigStore store = SqliteConfigStore.open(file)) {
      assertThat(kvs(store.range(""))).isEqualTo(before);
      assertThat(store.revision()).isEqualTo(revision);
      EventCollector replay = watch(store, "r/", 3);
      EventCollector compacted = watch(store, "r/", 2);
      eventually().until(() -> replay.size() == 9 && compacted.compactedAt() == 3);
      assertThat(put(store, "r/new", "v").revision()).isEqualTo(revision + 1);
    }
  }

  @Test
  void historyBeyondKeepRevisionsIsCompactedAutomatically() {
    try (SqliteConfigStore store = SqliteConfigStore.open(dir.resolve("keep.db"), 10)) {
      for (int i = 0; i < 30; i++) {
        put(store, "k/" + i, "v");
      }
      EventCollector tooOld = watch(store, "k/", 5);
      EventCollector kept = watch(store, "k/", 21);

      eventually().until(() -> tooOld.compactedAt() == 21 && kept.size() == 10);
      assertThat(kept.revisions().get(0)).isEqualTo(21);
    }
  }

  @Test
  void aVersion1FileIsUpgradedWithItsDataAndHistory() throws Exception {
    Path file = dir.resolve("v1.db");
    writeVersion1File(file);

    try (SqliteConfigStore store = SqliteConfigStore.open(file)) {
      assertThat(store.revision()).isEqualTo(3);
      assertThat(kvs(store.range("a/")))
          .containsExactly(new Kv("a/1", "v2", 1, 3, 2), new Kv("a/2", "x", 2, 2, 1));
      EventCollector replay = watch(store, "a/", 1);
      eventually().until(() -> replay.size() == 3);
      assertThat(replay.events())
          .containsExactly(
              new Ev(WatchEvent.Type.PUT, new Kv("a/1", "v1", 1, 1, 1), null),
              new Ev(WatchEvent.Type.PUT, new Kv("a/2", "x", 2, 2, 1), null),
              new Ev(
                  WatchEvent.Type.PUT, new Kv("a/1", "v2", 1, 3, 2), new Kv("a/1", "v1", 1, 1, 1)));

      assertThat(put(store, "a/1", "v3").revision()).isEqualTo(4);
      assertThat(kv(store, "a/1")).isEqualTo(new Kv("a/1", "v3", 1, 4, 3));
      eventually().until(() -> replay.size() == 4);
    }
    try (Connection conn = Db.connect(file);
        Statement st = conn.createStatement();
        ResultSet rs = st.executeQuery("SELECT value FROM meta WHERE name = 'schema_version'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getLong(1)).isEqualTo(Db.SCHEMA_VERSION);
    }
  }

  @Test
  void aFileOfAnUnknownSchemaVersionIsRefused() throws Exception {
    Path file = dir.resolve("future.db");
    SqliteConfigStore.open(file).close();
    try (Connection conn = Db.connect(file);
        Statement st = conn.createStatement()) {
      st.execute("UPDATE meta SET value = 99 WHERE name = 'schema_version'");
    }

    assertThatThrownBy(() -> SqliteConfigStore.open(file))
        .isInstanceOf(StoreException.class)
        .hasMessageContaining("expected weft store schema version 2")
        .hasMessageContaining("found 99");
  }

  /** Writes what version 1 of the store left after put a/1, put a/2, put a/1 again. */
  private static void writeVersion1File(Path file) throws SQLException {
    try (Connection conn = Db.connect(file);
        Statement st = conn.createStatement()) {
      st.execute(
          "CREATE TABLE kv (key BLOB NOT NULL PRIMARY KEY, value BLOB NOT NULL,"
              + " create_rev INTEGER NOT NULL, mod_rev INTEGER NOT NULL,"
              + " version INTEGER NOT NULL) WITHOUT ROWID");
      st.execute(
          "CREATE TABLE log (rev INTEGER NOT NULL, seq INTEGER NOT NULL, key BLOB NOT NULL,"
              + " type TEXT NOT NULL CHECK (type IN ('PUT', 'DELETE')), value BLOB,"
              + " create_rev INTEGER NOT NULL, version INTEGER NOT NULL, prev_value BLOB,"
              + " prev_create_rev INTEGER, prev_mod_rev INTEGER, prev_version INTEGER,"
              + " PRIMARY KEY (rev, seq)) WITHOUT ROWID");
      st.execute(
          "CREATE TABLE meta (name TEXT NOT NULL PRIMARY KEY, value INTEGER NOT NULL)"
              + " WITHOUT ROWID");
      st.execute(
          "INSERT INTO meta VALUES ('schema_version', 1), ('revision', 3),"
              + " ('compact_revision', 0)");
      st.execute(
          "INSERT INTO kv VALUES (CAST('a/1' AS BLOB), CAST('v2' AS BLOB), 1, 3, 2),"
              + " (CAST('a/2' AS BLOB), CAST('x' AS BLOB), 2, 2, 1)");
      st.execute(
          "INSERT INTO log VALUES"
              + " (1, 0, CAST('a/1' AS BLOB), 'PUT', CAST('v1' AS BLOB), 1, 1,"
              + " NULL, NULL, NULL, NULL),"
              + " (2, 0, CAST('a/2' AS BLOB), 'PUT', CAST('x' AS BLOB), 2, 1,"
              + " NULL, NULL, NULL, NULL),"
              + " (3, 0, CAST('a/1' AS BLOB), 'PUT', CAST('v2' AS BLOB), 1, 2,"
              + " CAST('v1' AS BLOB), 1, 1, 1)");
    }
  }

  @Test
  void openingAFileThatIsNotAStoreFails() throws IOException {
    Path file = dir.resolve("garbage.db");
    Files.writeString(file, "this is not a database, it is just long enough to look like one");

    assertThatThrownBy(() -> SqliteConfigStore.open(file)).isInstanceOf(StoreException.class);
  }

  @Test
  void describeNamesTheFile() {
    Path file = dir.resolve("named.db");
    try (SqliteConfigStore store = SqliteConfigStore.open(file)) {
      assertThat(store.describe()).isEqualTo("sqlite:" + file.toAbsolutePath());
    }
  }

  @Test
  void everyRevisionAKilledProcessReportedIsThere() throws Exception {
    Path file = dir.resolve("durability.db");
    Process child =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                DurabilityChild.class.getName(),
                file.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    Pattern line = Pattern.compile("committed (dur/\\d+) (\\d+) \\.");
    List<String[]> reported = new ArrayList<>();
    CompletableFuture<Void> reader =
        CompletableFuture.runAsync(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l = out.readLine(); l != null; l = out.readLine()) {
                  Matcher m = line.matcher(l);
                  // A line cut short by the kill does not match, and is not a claim.
                  if (m.matches()) {
                    synchronized (reported) {
                      reported.add(new String[] {m.group(1), m.group(2)});
                    }
                  }
                }
              } catch (IOException e) {
                // The pipe breaks when the child dies; what was read so far is what counts.
              }
            });
    try {
      eventually()
          .until(
              () -> {
                synchronized (reported) {
                  return reported.size() >= 1_000;
                }
              });
    } finally {
      child.destroyForcibly();
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
    reader.get(30, TimeUnit.SECONDS);

    try (SqliteConfigStore store = SqliteConfigStore.open(file)) {
      synchronized (reported) {
        for (String[] r : reported) {
          assertThat(store.get(r[0]))
              .as("%s reported at revision %s", r[0], r[1])
              .hasValueSatisfying(
                  kv -> assertThat(kv.modRevision()).isEqualTo(Long.parseLong(r[1])));
        }
        long maxReported = reported.stream().mapToLong(r -> Long.parseLong(r[1])).max().orElse(0);
        assertThat(store.revision()).isGreaterThanOrEqualTo(maxReported);
        System.out.printf(
            "kill -9 after %d reported commits; store at revision %d%n",
            reported.size(), store.revision());
      }
    }
  }

  @Test
  void groupCommitThroughput() throws Exception {
    SqliteThroughput.Result result =
        SqliteThroughput.measure(dir.resolve("throughput.db"), 20_000, 8);

    // Printed, not asserted: timing depends on the machine.
    System.out.println(result);
    assertThat(result.finalRevision()).isEqualTo(20_000);
  }

  @Test
  void objectTxnThroughput() throws Exception {
    // A short run of the kube-manager's write shape; the full one is SqliteObjectTxnThroughput's
    // main. Every txn creates seven new keys, so every one must succeed at its own revision.
    SqliteObjectTxnThroughput.Result result =
        SqliteObjectTxnThroughput.measure(dir.resolve("objects.db"), 2_000, 8, 1);

    System.out.println(result);
    assertThat(result.finalRevision()).isEqualTo(2_000);
    assertThat(result.eventsSeen()).isEqualTo(2_000L * SqliteObjectTxnThroughput.PUTS_PER_TXN);
  }
}
