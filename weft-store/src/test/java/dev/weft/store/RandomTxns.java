package dev.weft.store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;

/**
 * Random transactions over a small key space (so that keys collide, compares sometimes hold and
 * prefixes overlap), including non-ASCII keys and values where byte order differs from UTF-16.
 */
final class RandomTxns {
  static final List<String> KEYS =
      List.of(
          "p/a/0",
          "p/a/1",
          "p/a/2",
          "p/ab",
          "p/b/0",
          "p/b/1",
          "p/é/0",
          "p/\uFFFF",
          "p/😀/0",
          "q/0",
          "q/1");
  static final List<String> PREFIXES =
      List.of("", "p/", "p/a", "p/a/", "p/b/", "p/é", "p/😀", "q", "z/");
  static final List<String> VALUES = List.of("", "a", "b", "é", "😀", "\uFFFF", "zz");

  private final Random random;
  private final Function<String, Kv> lookup;

  /**
   * @param lookup the current state of a key (or null), used to aim compares near the truth
   */
  RandomTxns(Random random, Function<String, Kv> lookup) {
    this.random = random;
    this.lookup = lookup;
  }

  String key() {
    return pick(KEYS);
  }

  String prefix() {
    return pick(PREFIXES);
  }

  Txn next() {
    List<Compare> compares = new ArrayList<>();
    for (int i = random.nextInt(3); i > 0; i--) {
      compares.add(compare());
    }
    List<Operation> success = branch(random.nextInt(4));
    List<Operation> failure = branch(random.nextInt(3) == 0 ? random.nextInt(3) : 0);
    return new Txn(compares, success, failure);
  }

  private Compare compare() {
    String key = key();
    Kv kv = lookup.apply(key);
    Compare.Target target = pick(List.of(Compare.Target.values()));
    Compare.Op op = pick(List.of(Compare.Op.values()));
    if (target == Compare.Target.VALUE) {
      String value = kv != null && random.nextBoolean() ? kv.value() : pick(VALUES);
      return new Compare(key, target, op, 0, value.getBytes(StandardCharsets.UTF_8));
    }
    long actual =
        kv == null
            ? 0
            : switch (target) {
              case VERSION -> kv.version();
              case CREATE -> kv.create();
              case MOD -> kv.mod();
              case VALUE -> throw new AssertionError();
            };
    long number = Math.max(0, actual + random.nextInt(3) - 1);
    return new Compare(key, target, op, number, null);
  }

  /** Up to {@code size} operations that never put a key twice or put and delete one key. */
  private List<Operation> branch(int size) {
    List<Operation> ops = new ArrayList<>();
    Set<String> puts = new HashSet<>();
    Set<String> deletes = new HashSet<>();
    Set<String> deletedPrefixes = new HashSet<>();
    for (int i = 0; i < size; i++) {
      int kind = random.nextInt(10);
      if (kind < 6) {
        String key = key();
        if (!puts.contains(key)
            && !deletes.contains(key)
            && deletedPrefixes.stream().noneMatch(key::startsWith)) {
          puts.add(key);
          ops.add(new Operation.Put(key, pick(VALUES).getBytes(StandardCharsets.UTF_8)));
        }
      } else if (kind < 9) {
        String key = key();
        if (!puts.contains(key)) {
          deletes.add(key);
          ops.add(new Operation.Delete(key));
        }
      } else {
        String prefix = prefix();
        if (puts.stream().noneMatch(k -> k.startsWith(prefix))) {
          deletedPrefixes.add(prefix);
          ops.add(new Operation.DeletePrefix(prefix));
        }
      }
    }
    return ops;
  }

  private <T> T pick(List<T> from) {
    return from.get(random.nextInt(from.size()));
  }
}
