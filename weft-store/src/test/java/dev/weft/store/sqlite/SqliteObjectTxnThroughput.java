package dev.weft.store.sqlite;

import dev.weft.store.Compare;
import dev.weft.store.Operation;
import dev.weft.store.Txn;
import dev.weft.store.TxnResult;
import dev.weft.store.Watch;
import dev.weft.store.WatchEvent;
import dev.weft.store.WatchListener;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Measures the kube-manager's write shape: one transaction per pod with seven "key absent" compares
 * and seven puts of 300-700-byte (500 on average) JSON values under UUID-spread object, fq-name and
 * IPAM keys, from several threads, each returning only once durable. Run with {@code java -cp <test
 * classpath> dev.weft.store.sqlite.SqliteObjectTxnThroughput [txns] [threads] [watches]
 * [keepRevisions]}; each watch follows {@code /weft/} the way the kube-manager's informers do, and
 * a small {@code keepRevisions} makes every batch also trim the change log, as a long-running store
 * does.
 */
public final class SqliteObjectTxnThroughput {
  private static final String[] TYPES = {
    "virtual-machine", "virtual-machine-interface", "instance-ip"
  };

  /** Three objects and their fq names, and one address. */
  static final int PUTS_PER_TXN = 7;

  private SqliteObjectTxnThroughput() {}

  /** Result of one run. */
  public record Result(
      int txns,
      int threads,
      int watches,
      double seconds,
      long finalRevision,
      double averageBatch,
      long eventsSeen) {
    public double perSecond() {
      return txns / seconds;
    }

    @Override
    public String toString() {
      return String.format(
          "sqlite object txns (7 absent-compares + 7 puts of ~500 B): %d txns from %d threads,"
              + " %d watches, in %.2f s = %.0f txns/s; average batch %.1f txns; revision %d;"
              + " events seen %d",
          txns, threads, watches, seconds, perSecond(), averageBatch, finalRevision, eventsSeen);
    }
  }

  /** The transaction that creates pod {@code i}: its objects, their fq names and its address. */
  static Txn podTxn(int i, Random random) {
    List<Compare> compares = new ArrayList<>();
    List<Operation> puts = new ArrayList<>();
    String pod = "pod-" + i;
    for (String type : TYPES) {
      String uuid = new UUID(random.nextLong(), random.nextLong()).toString();
      String fqName = "default-domain:k8s-default:" + pod + "-" + type;
      add(compares, puts, "/weft/objects/" + type + "/" + uuid, json(uuid, fqName, random));
      add(compares, puts, "/weft/fqnames/" + type + "/" + fqName, json(uuid, fqName, random));
    }
    String address = "10." + ((i >> 16) & 0xFF) + "." + ((i >> 8) & 0xFF) + "." + (i & 0xFF);
    add(compares, puts, "/weft/ipam/pod-pool/" + address, json(pod, address, random));
    return Txn.of(compares, puts);
  }

  private static void add(List<Compare> compares, List<Operation> puts, String key, byte[] value) {
    compares.add(Compare.absent(key));
    puts.add(new Operation.Put(key, value));
  }

  /** A JSON document of 300 to 700 bytes, 500 on average. */
  private static byte[] json(String uuid, String name, Random random) {
    int size = 300 + random.nextInt(401);
    StringBuilder b = new StringBuilder(size + 64);
    b.append("{\"uuid\":\"").append(uuid).append("\",\"fq_name\":\"").append(name);
    b.append("\",\"annotations\":{\"weft.dev/owner\":\"kube-manager\",\"pad\":\"");
    while (b.length() < size - 3) {
      b.append((char) ('a' + random.nextInt(26)));
    }
    b.append("\"}}");
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  public static Result measure(Path dbFile, int txns, int threads, int watches) throws Exception {
    return measure(dbFile, txns, threads, watches, SqliteConfigStore.DEFAULT_KEEP_REVISIONS);
  }

  public static Result measure(Path dbFile, int txns, int threads, int watches, long keepRevisions)
      throws Exception {
    try (SqliteConfigStore store = SqliteConfigStore.open(dbFile, keepRevisions)) {
      EventCount events = new EventCount();
      List<Watch> open = new ArrayList<>();
      for (int w = 0; w < watches; w++) {
        open.add(store.watch("/weft/", 0, counting(events)));
      }
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> done = new ArrayList<>();
        GroupCommitter.Stats before = store.commitStats();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
          int thread = t;
          done.add(
              pool.submit(
                  () -> {
                    Random random = new Random(thread);
                    for (int i = thread; i < txns; i += threads) {
                      TxnResult r = store.txn(podTxn(i, random));
                      if (!r.succeeded()) {
                        throw new IllegalStateException("pod " + i + ": a key already existed");
                      }
                    }
                    return null;
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        GroupCommitter.Stats after = store.commitStats();
        double averageBatch =
            (double) (after.requests() - before.requests()) / (after.batches() - before.batches());
        // Outside the timing: the watches may trail the writer, and must each see every put once.
        events.awaitAtLeast((long) txns * PUTS_PER_TXN * watches, Duration.ofSeconds(60));
        open.forEach(Watch::close);
        return new Result(
            txns, threads, watches, seconds, store.revision(), averageBatch, events.get());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  /** Events delivered to the benchmark's watches, all together. */
  private static final class EventCount {
    private long seen;

    synchronized void add(int n) {
      seen += n;
      notifyAll();
    }

    synchronized long get() {
      return seen;
    }

    synchronized void awaitAtLeast(long n, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      for (long left = timeout.toNanos();
          seen < n && left > 0;
          left = deadline - System.nanoTime()) {
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
  }

  private static WatchListener counting(EventCount events) {
    return new WatchListener() {
      @Override
      public void onEvents(List<WatchEvent> batch) {
        events.add(batch.size());
      }

      @Override
      public void onCompacted(long compactRevision) {}

      @Override
      public void onError(Throwable error) {}
    };
  }

  public static void main(String[] args) throws Exception {
    int txns = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    int watches = args.length > 2 ? Integer.parseInt(args[2]) : 0;
    long keep =
        args.length > 3 ? Long.parseLong(args[3]) : SqliteConfigStore.DEFAULT_KEEP_REVISIONS;
    Path dir = Files.createTempDirectory("weft-object-throughput");
    try {
      System.out.println(measure(dir.resolve("bench.db"), txns, threads, watches, keep));
    } finally {
      try (var files = Files.list(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Files.delete(f);
        }
      }
      Files.delete(dir);
    }
  }
}
