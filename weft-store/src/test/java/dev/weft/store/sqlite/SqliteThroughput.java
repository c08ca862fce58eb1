package dev.weft.store.sqlite;

import dev.weft.store.Operation;
import dev.weft.store.Txn;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures group-commit throughput: single-key put transactions from several threads, each
 * returning only once durable. Run with {@code java -cp <test classpath>
 * dev.weft.store.sqlite.SqliteThroughput [txns] [threads]}.
 */
public final class SqliteThroughput {
  private SqliteThroughput() {}

  /** Result of one run. */
  public record Result(int txns, int threads, double seconds, long finalRevision) {
    public double perSecond() {
      return txns / seconds;
    }

    @Override
    public String toString() {
      return String.format(
          "sqlite group commit: %d single-key txns from %d threads in %.2f s = %.0f txns/s",
          txns, threads, seconds, perSecond());
    }
  }

  public static Result measure(Path dbFile, int txns, int threads) throws Exception {
    try (SqliteConfigStore store = SqliteConfigStore.open(dbFile)) {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> done = new ArrayList<>();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
          int thread = t;
          done.add(
              pool.submit(
                  () -> {
                    for (int i = thread; i < txns; i += threads) {
                      store.txn(
                          Txn.of(List.of(), List.of(Operation.Put.of("bench/" + i, "value-" + i))));
                    }
                  }));
        }
        for (Future<?> f : done) {
          f.get();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Result(txns, threads, seconds, store.revision());
      } finally {
        pool.shutdownNow();
      }
    }
  }

  public static void main(String[] args) throws Exception {
    int txns = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
    int threads = args.length > 1 ? Integer.parseInt(args[1]) : 8;
    Path dir = Files.createTempDirectory("weft-throughput");
    System.out.println(measure(dir.resolve("bench.db"), txns, threads));
  }
}
