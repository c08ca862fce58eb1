package dev.weft.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.weft.store.Compare.Op;
import dev.weft.store.Compare.Target;
import dev.weft.store.Operation.Delete;
import dev.weft.store.Operation.DeletePrefix;
import dev.weft.store.Operation.Put;
import dev.weft.store.WatchEvent.Type;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The behaviour every {@link ConfigStore} must have, run against each implementation by a subclass
 * (memory, SQLite, etcd), the way one spec runs against several caches.
 *
 * <p>Tests never assume the store starts at a particular revision, only that it starts empty and
 * that nobody else writes to it during the test.
 */
public abstract class ConfigStoreContract {

  /** A new, empty store used by nobody else. The contract closes it after the test. */
  protected abstract ConfigStore newStore();

  /**
   * A second client of the same store as {@code store}, as another process would see it (another
   * SQLite connection to the same file, another etcd client), or empty when the implementation has
   * no such thing. The contract closes it after the test.
   */
  protected Optional<ConfigStore> newPeer(ConfigStore store) {
    return Optional.empty();
  }

  private final List<AutoCloseable> toClose = Collections.synchronizedList(new ArrayList<>());

  @AfterEach
  void closeEverything() throws Exception {
    List<AutoCloseable> closing = new ArrayList<>(toClose);
    Collections.reverse(closing);
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  /** A new store, closed after the test. */
  protected final ConfigStore store() {
    ConfigStore store = newStore();
    toClose.add(store);
    return store;
  }

  private ConfigStore peerOf(ConfigStore store) {
    Optional<ConfigStore> peer = newPeer(store);
    Assumptions.assumeTrue(peer.isPresent(), "this store has no second client");
    toClose.add(peer.get());
    return peer.get();
  }

  protected final EventCollector watch(ConfigStore store, String prefix, long fromRevision) {
    EventCollector collector = new EventCollector();
    toClose.add(store.watch(prefix, fromRevision, collector));
    return collector;
  }

  protected static ConditionFactory eventually() {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5));
  }

  protected static TxnResult put(ConfigStore store, String key, String value) {
    return store.txn(Txn.of(List.of(), List.of(Put.of(key, value))));
  }

  protected static TxnResult delete(ConfigStore store, String key) {
    return store.txn(Txn.of(List.of(), List.of(new Delete(key))));
  }

  protected static Kv kv(ConfigStore store, String key) {
    return store.get(key).map(Kv::of).orElse(null);
  }

  protected static List<Kv> kvs(RangeResult range) {
    return range.kvs().stream().map(Kv::of).toList();
  }

  private static List<String> keys(RangeResult range) {
    return range.kvs().stream().map(KeyValue::key).toList();
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  // ---- put, get, range ----

  @Test
  void putThenGetReturnsTheValueWithItsRevisions() {
    ConfigStore store = store();
    TxnResult result = put(store, "a", "1");

    assertThat(result.succeeded()).isTrue();
    assertThat(kv(store, "a")).isEqualTo(new Kv("a", "1", result.revision(), result.revision(), 1));
    assertThat(store.revision()).isEqualTo(result.revision());
  }

  @Test
  void getOfAMissingKeyIsEmpty() {
    ConfigStore store = store();
    put(store, "a", "1");

    assertThat(store.get("b")).isEmpty();
    assertThat(store.get("a/")).isEmpty();
  }

  @Test
  void emptyAndBinaryValuesRoundTrip() {
    ConfigStore store = store();
    byte[] binary = {0, (byte) 0xFF, (byte) 0x80, 1};
    store.txn(Txn.of(List.of(), List.of(new Put("empty", new byte[0]), new Put("bin", binary))));

    assertThat(store.get("empty").orElseThrow().value()).isEmpty();
    assertThat(store.get("bin").orElseThrow().value()).containsExactly(binary);
  }

  @Test
  void rangeReturnsOnlyKeysUnderThePrefixSortedAtTheStoreRevision() {
    ConfigStore store = store();
    for (String key : List.of("a/2", "a/1", "a", "a0", "b/1", "a/1/x", "ab")) {
      put(store, key, key);
    }

    RangeResult range = store.range("a/");

    assertThat(keys(range)).containsExactly("a/1", "a/1/x", "a/2");
    assertThat(range.revision()).isEqualTo(store.revision());
    assertThat(keys(store.range("")))
        .containsExactly("a", "a/1", "a/1/x", "a/2", "a0", "ab", "b/1");
    assertThat(keys(store.range("c"))).isEmpty();
  }

  @Test
  void rangeRevisionIsTheStoreRevisionEvenWhenNoKeyMatches() {
    ConfigStore store = store();
    TxnResult last = put(store, "x", "1");

    assertThat(store.range("nothing/").revision()).isEqualTo(last.revision());
  }

  @Test
  void keysSortByTheirUtf8BytesAsInEtcd() {
    ConfigStore store = store();
    // UTF-16 order would put the emoji (a surrogate pair, 0xD83D..) before U+FFFF; UTF-8 bytes
    // (F0.. vs EF..) put it after.
    for (String key : List.of("s/😀", "s/\uFFFF", "s/é", "s/a")) {
      put(store, key, "v");
    }

    assertThat(keys(store.range("s/"))).containsExactly("s/a", "s/é", "s/\uFFFF", "s/😀");
    assertThat(keys(store.range("s/😀"))).containsExactly("s/😀");
    assertThat(keys(store.range("s/\uFFFF"))).containsExactly("s/\uFFFF");
  }

  // ---- revisions ----

  @Test
  void everyWritingTxnAddsExactlyOneRevision() {
    ConfigStore store = store();
    long start = store.revision();

    assertThat(put(store, "a", "1").revision()).isEqualTo(start + 1);
    TxnResult multi =
        store.txn(Txn.of(List.of(), List.of(Put.of("b", "1"), Put.of("c", "1"), new Delete("a"))));
    assertThat(multi.revision()).isEqualTo(start + 2);
    assertThat(delete(store, "b").revision()).isEqualTo(start + 3);
    assertThat(store.revision()).isEqualTo(start + 3);
    assertThat(kv(store, "c").mod()).isEqualTo(start + 2);
  }

  @Test
  void aTxnThatWritesNothingUsesNoRevision() {
    ConfigStore store = store();
    long rev = put(store, "a", "1").revision();

    TxnResult failedCompare =
        store.txn(Txn.of(List.of(Compare.absent("a")), List.of(Put.of("b", "1"))));
    TxnResult deleteMissing = delete(store, "missing");
    TxnResult deletePrefixOfNothing =
        store.txn(Txn.of(List.of(), List.of(new DeletePrefix("nothing/"))));
    TxnResult empty = store.txn(Txn.of(List.of(Compare.present("a")), List.of()));

    assertThat(failedCompare).isEqualTo(new TxnResult(false, rev));
    assertThat(deleteMissing).isEqualTo(new TxnResult(true, rev));
    assertThat(deletePrefixOfNothing).isEqualTo(new TxnResult(true, rev));
    assertThat(empty).isEqualTo(new TxnResult(true, rev));
    assertThat(store.revision()).isEqualTo(rev);
    assertThat(store.get("b")).isEmpty();
  }

  @Test
  void putKeepsTheCreateRevisionAndCountsVersionsUntilDeleted() {
    ConfigStore store = store();
    long r1 = put(store, "k", "1").revision();
    put(store, "other", "x");
    long r3 = put(store, "k", "2").revision();
    long r4 = put(store, "k", "3").revision();

    assertThat(kv(store, "k")).isEqualTo(new Kv("k", "3", r1, r4, 3));
    assertThat(r3).isEqualTo(r1 + 2);

    delete(store, "k");
    long r6 = put(store, "k", "again").revision();

    assertThat(kv(store, "k")).isEqualTo(new Kv("k", "again", r6, r6, 1));
  }

  @Test
  void aBranchThatWritesOneKeyTwiceIsRejected() {
    ConfigStore store = store();
    long rev = store.revision();

    assertThatThrownBy(
            () -> store.txn(Txn.of(List.of(), List.of(Put.of("k", "1"), Put.of("k", "2")))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> store.txn(Txn.of(List.of(), List.of(Put.of("d/k", "1"), new DeletePrefix("d/")))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(store.revision()).isEqualTo(rev);
    assertThat(store.get("k")).isEmpty();
  }

  // ---- compares ----

  static Stream<Arguments> numericCompares() {
    List<Arguments> cases = new ArrayList<>();
    for (Target target : List.of(Target.VERSION, Target.CREATE, Target.MOD)) {
      for (Op op : Op.values()) {
        for (int delta = -1; delta <= 1; delta++) {
          cases.add(Arguments.of(target, op, delta));
        }
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0} {1} actual{2}")
  @MethodSource("dev.weft.store.ConfigStoreContract#numericCompares")
  void numericComparesAgainstAnExistingKey(Target target, Op op, int delta) {
    ConfigStore store = store();
    long created = put(store, "k", "a").revision();
    put(store, "other", "x");
    long modified = put(store, "k", "b").revision();
    long actual =
        switch (target) {
          case VERSION -> 2;
          case CREATE -> created;
          case MOD -> modified;
          case VALUE -> throw new AssertionError();
        };
    long number = actual + delta;
    boolean expected = expected(op, Long.compare(actual, number));

    TxnResult result =
        store.txn(
            new Txn(
                List.of(new Compare("k", target, op, number, null)),
                List.of(Put.of("then", "yes")),
                List.of(Put.of("else", "yes"))));

    assertThat(result.succeeded()).isEqualTo(expected);
    assertThat(store.get(expected ? "then" : "else")).isPresent();
    assertThat(store.get(expected ? "else" : "then")).isEmpty();
  }

  @ParameterizedTest(name = "{0} {1} actual{2}")
  @MethodSource("dev.weft.store.ConfigStoreContract#numericCompares")
  void aMissingKeyHasZeroVersionAndRevisions(Target target, Op op, int delta) {
    ConfigStore store = store();
    put(store, "other", "x");
    long number = Math.max(0, delta);
    boolean expected = expected(op, Long.compare(0, number));

    TxnResult result =
        store.txn(Txn.of(List.of(new Compare("missing", target, op, number, null)), List.of()));

    assertThat(result.succeeded()).isEqualTo(expected);
  }

  @ParameterizedTest(name = "value {0} \"{1}\"")
  @MethodSource("dev.weft.store.ConfigStoreContract#valueCompares")
  void valueComparesBytesUnsigned(Op op, String given) {
    ConfigStore store = store();
    put(store, "k", "b");
    boolean expected = expected(op, cmpUtf8("b", given));

    TxnResult result =
        store.txn(Txn.of(List.of(new Compare("k", Target.VALUE, op, 0, utf8(given))), List.of()));

    assertThat(result.succeeded()).isEqualTo(expected);
  }

  static Stream<Arguments> valueCompares() {
    List<Arguments> cases = new ArrayList<>();
    for (Op op : Op.values()) {
      for (String given : List.of("a", "b", "c", "é", "", "bb")) {
        cases.add(Arguments.of(op, given));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest
  @EnumSource(Op.class)
  void aValueCompareWithAMissingKeyIsAlwaysFalse(Op op) {
    ConfigStore store = store();

    TxnResult result =
        store.txn(
            new Txn(
                List.of(new Compare("missing", Target.VALUE, op, 0, utf8("x"))),
                List.of(Put.of("then", "yes")),
                List.of(Put.of("else", "yes"))));

    assertThat(result.succeeded()).isFalse();
    assertThat(store.get("else")).isPresent();
  }

  @Test
  void allComparesMustHoldForTheSuccessBranch() {
    ConfigStore store = store();
    long rev = put(store, "a", "1").revision();

    TxnResult oneFails =
        store.txn(
            new Txn(
                List.of(Compare.modRevision("a", rev), Compare.present("b")),
                List.of(Put.of("then", "yes")),
                List.of(Put.of("else", "yes"), Put.of("a", "2"))));

    assertThat(oneFails).isEqualTo(new TxnResult(false, rev + 1));
    assertThat(store.get("then")).isEmpty();
    assertThat(kv(store, "else").mod()).isEqualTo(rev + 1);
    assertThat(kv(store, "a")).isEqualTo(new Kv("a", "2", rev, rev + 1, 2));
  }

  private static int cmpUtf8(String a, String b) {
    return Arrays.compareUnsigned(utf8(a), utf8(b));
  }

  private static boolean expected(Op op, int cmp) {
    return switch (op) {
      case EQUAL -> cmp == 0;
      case NOT_EQUAL -> cmp != 0;
      case LESS -> cmp < 0;
      case GREATER -> cmp > 0;
    };
  }

  // ---- delete prefix, atomicity, concurrency ----

  @Test
  void deletePrefixDeletesEveryKeyUnderItAtOneRevision() {
    ConfigStore store = store();
    for (String key : List.of("d/1", "d/2", "d/3/x", "d", "e/1", "d0")) {
      put(store, key, "v");
    }
    EventCollector watcher = watch(store, "", 0);

    TxnResult result = store.txn(Txn.of(List.of(), List.of(new DeletePrefix("d/"))));

    assertThat(keys(store.range(""))).containsExactly("d", "d0", "e/1");
    eventually().until(() -> watcher.size() == 3);
    assertThat(watcher.events())
        .extracting(e -> e.type() + " " + e.kv().key() + " @" + e.revision())
        .containsExactly(
            "DELETE d/1 @" + result.revision(),
            "DELETE d/2 @" + result.revision(),
            "DELETE d/3/x @" + result.revision());
  }

  @Test
  void deletePrefixOfTheEmptyStringDeletesEverything() {
    ConfigStore store = store();
    put(store, "a", "1");
    put(store, "b/c", "1");

    store.txn(Txn.of(List.of(), List.of(new DeletePrefix(""))));

    assertThat(store.range("").kvs()).isEmpty();
  }

  @Test
  void readersNeverSeeHalfOfAMultiKeyTxn() throws Exception {
    ConfigStore store = store();
    int writes = 150;
    EventCollector watcher = watch(store, "atom/", 0);
    CompletableFuture<Void> writer =
        CompletableFuture.runAsync(
            () -> {
              for (int i = 1; i <= writes; i++) {
                store.txn(
                    Txn.of(
                        List.of(), List.of(Put.of("atom/a", "v" + i), Put.of("atom/b", "v" + i))));
              }
            });
    int reads = 0;
    while (!writer.isDone() || reads == 0) {
      List<KeyValue> kvs = store.range("atom/").kvs();
      if (!kvs.isEmpty()) {
        assertThat(kvs).hasSize(2);
        assertThat(kvs.get(0).valueAsString()).isEqualTo(kvs.get(1).valueAsString());
        assertThat(kvs.get(0).modRevision()).isEqualTo(kvs.get(1).modRevision());
      }
      reads++;
    }
    writer.get();

    eventually().until(() -> watcher.size() == 2 * writes);
    Map<Long, Long> eventsPerRevision = new TreeMap<>();
    watcher.events().forEach(e -> eventsPerRevision.merge(e.revision(), 1L, Long::sum));
    assertThat(eventsPerRevision.values()).hasSize(writes).containsOnly(2L);
    assertThat(watcher.violations()).isEmpty();
  }

  @Test
  void concurrentCasIncrementsLoseNoUpdate() throws Exception {
    casCounterRace(List.of(store()));
  }

  /** Threads spread over {@code clients} increment one counter with CAS retry loops. */
  private static void casCounterRace(List<ConfigStore> clients) throws Exception {
    int threads = 8;
    int incrementsPerThread = 25;
    ConfigStore first = clients.get(0);
    long startRevision = first.revision();
    AtomicInteger attempts = new AtomicInteger();
    AtomicInteger wins = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<CompletableFuture<Void>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        ConfigStore store = clients.get(t % clients.size());
        done.add(
            CompletableFuture.runAsync(
                () -> {
                  for (int i = 0; i < incrementsPerThread; i++) {
                    while (true) {
                      attempts.incrementAndGet();
                      Optional<KeyValue> current = store.get("counter");
                      long value = current.map(kv -> Long.parseLong(kv.valueAsString())).orElse(0L);
                      long mod = current.map(KeyValue::modRevision).orElse(0L);
                      TxnResult r =
                          store.txn(
                              Txn.of(
                                  List.of(Compare.modRevision("counter", mod)),
                                  List.of(Put.of("counter", Long.toString(value + 1)))));
                      if (r.succeeded()) {
                        wins.incrementAndGet();
                        break;
                      }
                    }
                  }
                },
                pool));
      }
      CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    } finally {
      pool.shutdownNow();
    }

    int total = threads * incrementsPerThread;
    assertThat(wins.get()).isEqualTo(total);
    for (ConfigStore store : clients) {
      assertThat(kv(store, "counter").value()).isEqualTo(Integer.toString(total));
      assertThat(kv(store, "counter").version()).isEqualTo(total);
    }
    // Failed compares write nothing, so only the wins used revisions.
    assertThat(first.revision()).isEqualTo(startRevision + total);
    assertThat(attempts.get()).isGreaterThanOrEqualTo(total);
  }

  // ---- watches ----

  @Test
  void putAndDeleteEventsCarryTheNewAndPreviousKeyValues() {
    ConfigStore store = store();
    EventCollector watcher = watch(store, "k", 0);
    long r1 = put(store, "k", "v1").revision();
    long r2 = put(store, "k", "v2").revision();
    long r3 = delete(store, "k").revision();

    eventually().until(() -> watcher.size() == 3);
    assertThat(watcher.events())
        .containsExactly(
            new Ev(Type.PUT, new Kv("k", "v1", r1, r1, 1), null),
            new Ev(Type.PUT, new Kv("k", "v2", r1, r2, 2), new Kv("k", "v1", r1, r1, 1)),
            new Ev(Type.DELETE, new Kv("k", "", 0, r3, 0), new Kv("k", "v2", r1, r2, 2)));
  }

  @Test
  void watchFromAPastRevisionReplaysHistoryThenContinuesLive() {
    ConfigStore store = store();
    List<Long> revs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      revs.add(put(store, "w/" + i, "v").revision());
    }
    EventCollector watcher = watch(store, "w/", revs.get(2));

    eventually().until(() -> watcher.size() == 3);
    revs.add(put(store, "w/5", "v").revision());
    revs.add(delete(store, "w/0").revision());

    eventually().until(() -> watcher.size() == 5);
    assertThat(watcher.revisions()).isEqualTo(revs.subList(2, 7));
    assertThat(watcher.events())
        .extracting(e -> e.kv().key())
        .containsExactly("w/2", "w/3", "w/4", "w/5", "w/0");
    assertThat(watcher.violations()).isEmpty();
  }

  @Test
  void aWatchStartedDuringWritesMissesAndRepeatsNothing() throws Exception {
    ConfigStore store = store();
    long start = store.revision();
    int writes = 300;
    CompletableFuture<Void> writer =
        CompletableFuture.runAsync(
            () -> {
              for (int i = 0; i < writes; i++) {
                put(store, "live/" + (i % 7), Integer.toString(i));
              }
            });
    eventually().until(() -> store.revision() >= start + writes / 3);
    EventCollector watcher = watch(store, "live/", start + 1);
    writer.get(60, TimeUnit.SECONDS);

    eventually().until(() -> watcher.size() == writes);
    assertThat(watcher.revisions())
        .isEqualTo(LongStream.rangeClosed(start + 1, start + writes).boxed().toList());
    assertThat(watcher.violations()).isEmpty();
  }

  @Test
  void watchFromZeroDeliversOnlyLaterChanges() {
    ConfigStore store = store();
    put(store, "z/old", "v");
    EventCollector watcher = watch(store, "z/", 0);
    long rev = put(store, "z/new", "v").revision();

    eventually().until(() -> watcher.size() == 1);
    assertThat(watcher.events().get(0).kv()).isEqualTo(new Kv("z/new", "v", rev, rev, 1));
  }

  @Test
  void aWatchOfAPrefixSeesOnlyKeysUnderThatPrefix() {
    ConfigStore store = store();
    EventCollector watcher = watch(store, "a/", 0);
    EventCollector everything = watch(store, "", 0);
    put(store, "a/1", "v");
    put(store, "ab", "v");
    put(store, "b/1", "v");
    put(store, "a", "v");
    store.txn(Txn.of(List.of(), List.of(new DeletePrefix("a"))));
    put(store, "a/2", "v");

    eventually().until(() -> everything.size() == 8);
    eventually().until(() -> watcher.size() == 3);
    assertThat(watcher.events())
        .extracting(e -> e.type() + " " + e.kv().key())
        .containsExactly("PUT a/1", "DELETE a/1", "PUT a/2");
  }

  @Test
  void twoWatchesAreIndependent() {
    ConfigStore store = store();
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean blocked = new AtomicBoolean();
    EventCollector stuck =
        new EventCollector() {
          @Override
          protected void onBatch(List<WatchEvent> batch) {
            blocked.set(true);
            try {
              release.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
    toClose.add(store.watch("i/", 0, stuck));
    EventCollector free = watch(store, "i/", 0);
    EventCollector closedEarly = new EventCollector();
    Watch closedEarlyWatch = store.watch("i/", 0, closedEarly);

    for (int i = 0; i < 20; i++) {
      put(store, "i/" + i, "v");
      if (i == 0) {
        eventually().until(() -> closedEarly.size() == 1);
        closedEarlyWatch.close();
      }
    }

    // The stuck listener and the closed watch hold up only themselves.
    eventually().until(() -> free.size() == 20);
    assertThat(closedEarly.size()).isEqualTo(1);
    assertThat(blocked).isTrue();
    release.countDown();
    eventually().until(() -> stuck.size() == 20);
    assertThat(stuck.violations()).isEmpty();
    assertThat(free.violations()).isEmpty();
  }

  @Test
  void aClosedWatchGetsNoMoreEvents() {
    ConfigStore store = store();
    long base = store.revision();
    EventCollector closed = new EventCollector();
    Watch watch = store.watch("c/", 0, closed);
    put(store, "c/1", "v");
    eventually().until(() -> closed.size() == 1);

    watch.close();
    watch.close();
    put(store, "c/2", "v");
    EventCollector later = watch(store, "c/", 0);
    put(store, "c/3", "v");
    EventCollector fromStart = watch(store, "c/", base + 1);

    eventually().until(() -> later.size() == 1 && fromStart.size() == 3);
    assertThat(closed.size()).isEqualTo(1);
  }

  @Test
  void aWatchCanBeClosedFromItsOwnCallback() {
    ConfigStore store = store();
    long base = store.revision();
    AtomicInteger calls = new AtomicInteger();
    CompletableFuture<Watch> self = new CompletableFuture<>();
    Watch watch =
        store.watch(
            "s/",
            0,
            events -> {
              calls.incrementAndGet();
              self.join().close();
            });
    self.complete(watch);
    toClose.add(watch);
    put(store, "s/1", "v");
    eventually().until(() -> calls.get() == 1);
    put(store, "s/2", "v");
    EventCollector other = watch(store, "s/", base + 1);

    eventually().until(() -> other.size() == 2);
    assertThat(calls.get()).isEqualTo(1);
  }

  // ---- compaction ----

  @Test
  void aWatchFromACompactedRevisionIsToldSoAndEnds() {
    ConfigStore store = store();
    List<Long> revs = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      revs.add(put(store, "h/" + i, "v").revision());
    }
    store.compact(revs.get(3));

    EventCollector tooOld = watch(store, "h/", revs.get(1));
    EventCollector atCompaction = watch(store, "h/", revs.get(3));

    eventually().until(() -> tooOld.compactedAt() == revs.get(3));
    eventually().until(() -> atCompaction.size() == 2);
    put(store, "h/5", "v");
    eventually().until(() -> atCompaction.size() == 3);
    assertThat(tooOld.events()).isEmpty();
    assertThat(atCompaction.compactedAt()).isEqualTo(-1);
  }

  @Test
  void compactionKeepsCurrentKeysAndRevision() {
    ConfigStore store = store();
    put(store, "k", "1");
    long rev = put(store, "k", "2").revision();
    put(store, "j", "1");
    List<Kv> before = kvs(store.range(""));

    store.compact(store.revision());
    store.compact(rev);

    assertThat(kvs(store.range(""))).isEqualTo(before);
    assertThat(store.revision()).isEqualTo(rev + 1);
    assertThat(kv(store, "k").version()).isEqualTo(2);
  }

  @Test
  void compactingAFutureRevisionIsRejected() {
    ConfigStore store = store();
    long rev = put(store, "k", "1").revision();

    assertThatThrownBy(() -> store.compact(rev + 10)).isInstanceOf(IllegalArgumentException.class);
  }

  // ---- close ----

  @Test
  void everyOperationFailsAfterClose() {
    ConfigStore store = store();
    put(store, "k", "v");
    EventCollector watcher = watch(store, "", 0);

    store.close();
    store.close();

    assertThatThrownBy(store::revision).isInstanceOf(StoreException.class);
    assertThatThrownBy(() -> store.get("k")).isInstanceOf(StoreException.class);
    assertThatThrownBy(() -> store.range("")).isInstanceOf(StoreException.class);
    assertThatThrownBy(() -> put(store, "k", "2")).isInstanceOf(StoreException.class);
    assertThatThrownBy(() -> store.watch("", 0, new EventCollector()))
        .isInstanceOf(StoreException.class);
    assertThatThrownBy(() -> store.compact(1)).isInstanceOf(StoreException.class);
    assertThat(watcher.error()).isNull();
  }

  // ---- several clients of one store ----

  @Test
  void clientsOfOneStoreNeverBothWinACas() throws Exception {
    ConfigStore store = store();
    ConfigStore peer = peerOf(store);

    casCounterRace(List.of(store, peer));
  }

  @Test
  void watchesSeeChangesMadeThroughAnotherClient() {
    ConfigStore store = store();
    ConfigStore peer = peerOf(store);
    EventCollector mine = watch(store, "x/", 0);
    EventCollector theirs = watch(peer, "x/", 0);

    long r1 = put(peer, "x/1", "from peer").revision();
    long r2 = put(store, "x/2", "from store").revision();

    assertThat(r2).isEqualTo(r1 + 1);
    eventually().until(() -> mine.size() == 2 && theirs.size() == 2);
    assertThat(mine.events()).isEqualTo(theirs.events());
    assertThat(mine.revisions()).containsExactly(r1, r2);
    assertThat(kv(store, "x/1").value()).isEqualTo("from peer");
  }

  // ---- properties ----

  static Stream<Long> seeds() {
    long random = new Random().nextLong();
    return Stream.concat(LongStream.rangeClosed(1, 10).boxed(), Stream.of(random));
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("dev.weft.store.ConfigStoreContract#seeds")
  void randomTxnsLeaveTheSameStateAndEventsAsTheReferenceModel(long seed) {
    withSeed(
        seed,
        () -> {
          Random random = new Random(seed);
          ConfigStore store = store();
          long base = store.revision();
          ReferenceStore model = new ReferenceStore(base);
          RandomTxns txns = new RandomTxns(random, model::get);
          EventCollector all = watch(store, "", base + 1);
          EventCollector underA = watch(store, "p/a", base + 1);

          for (int step = 0; step < 120; step++) {
            Txn txn = txns.next();
            assertThat(store.txn(txn)).as("step %d: %s", step, txn).isEqualTo(model.apply(txn));
            if (step % 10 == 0) {
              String prefix = txns.prefix();
              RangeResult range = store.range(prefix);
              assertThat(kvs(range)).as("range %s", prefix).isEqualTo(model.range(prefix));
              assertThat(range.revision()).isEqualTo(model.revision());
              String key = txns.key();
              assertThat(kv(store, key)).as("get %s", key).isEqualTo(model.get(key));
            }
          }

          assertThat(kvs(store.range(""))).isEqualTo(model.range(""));
          EventCollector replayed = watch(store, "p/", base + 1);
          eventually()
              .until(
                  () ->
                      all.size() >= model.events("").size()
                          && underA.size() >= model.events("p/a").size()
                          && replayed.size() >= model.events("p/").size());
          assertThat(all.events()).isEqualTo(model.events(""));
          assertThat(underA.events()).isEqualTo(model.events("p/a"));
          assertThat(replayed.events()).isEqualTo(model.events("p/"));
          for (EventCollector c : List.of(all, underA, replayed)) {
            assertThat(c.violations()).isEmpty();
          }
        });
  }

  @ParameterizedTest(name = "seed {0}")
  @MethodSource("dev.weft.store.ConfigStoreContract#seeds")
  void concurrentRandomTxnsFoldFromTheWatchStreamIntoTheFinalState(long seed) {
    withSeed(
        seed,
        () -> {
          ConfigStore store = store();
          long base = store.revision();
          EventCollector live = watch(store, "", base + 1);
          int threads = 4;
          List<CompletableFuture<List<TxnResult>>> results = new ArrayList<>();
          for (int t = 0; t < threads; t++) {
            Random random = new Random(seed * 31 + t);
            results.add(
                CompletableFuture.supplyAsync(
                    () -> {
                      RandomTxns txns = new RandomTxns(random, key -> kv(store, key));
                      List<TxnResult> mine = new ArrayList<>();
                      for (int i = 0; i < 40; i++) {
                        mine.add(store.txn(txns.next()));
                      }
                      return mine;
                    }));
          }
          List<TxnResult> all = new ArrayList<>();
          results.forEach(r -> all.addAll(r.join()));
          long end = store.revision();

          eventually().until(() -> live.revisions().size() == end - base);
          // Every writing txn wrote at least one key, so the "" watch sees every revision.
          assertThat(live.revisions())
              .isEqualTo(LongStream.rangeClosed(base + 1, end).boxed().toList());
          Map<String, Kv> folded = new HashMap<>();
          for (Ev e : live.events()) {
            if (e.type() == Type.PUT) {
              folded.put(e.kv().key(), e.kv());
            } else {
              folded.remove(e.kv().key());
            }
          }
          assertThat(folded.values()).containsExactlyInAnyOrderElementsOf(kvs(store.range("")));
          assertThat(all).allSatisfy(r -> assertThat(r.revision()).isBetween(base, end));
          EventCollector replayed = watch(store, "", base + 1);
          eventually().until(() -> replayed.size() == live.size());
          assertThat(replayed.events()).isEqualTo(live.events());
          assertThat(live.violations()).isEmpty();
        });
  }

  /** Runs a property, naming the seed in any failure so that it can be replayed. */
  protected static void withSeed(long seed, Runnable property) {
    try {
      property.run();
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("property failed with seed " + seed + ": " + e.getMessage(), e);
    }
  }
}
