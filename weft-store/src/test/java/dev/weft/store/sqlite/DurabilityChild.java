package dev.weft.store.sqlite;

import dev.weft.store.Operation;
import dev.weft.store.Txn;
import dev.weft.store.TxnResult;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Child process for the kill -9 test: commits transactions from several threads forever and prints
 * {@code committed <key> <revision> .} for each one only after {@code txn} has returned.
 */
public final class DurabilityChild {
  private DurabilityChild() {}

  public static void main(String[] args) {
    SqliteConfigStore store = SqliteConfigStore.open(Path.of(args[0]));
    AtomicLong next = new AtomicLong();
    for (int t = 0; t < 4; t++) {
      Thread thread =
          new Thread(
              () -> {
                while (true) {
                  String key = "dur/" + next.incrementAndGet();
                  TxnResult r = store.txn(Txn.of(List.of(), List.of(Operation.Put.of(key, key))));
                  // println is atomic per line across threads (PrintStream locks itself).
                  System.out.println("committed " + key + " " + r.revision() + " .");
                }
              });
      thread.start();
    }
  }
}
