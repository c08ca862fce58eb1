package dev.weft.store;

import java.util.Arrays;
import java.util.Objects;

/**
 * One guard of a transaction, as in etcd: compares a key's version, create revision, mod revision
 * or value with a constant. A missing key has version, create and mod revision 0 and no value (a
 * value comparison with a missing key is false).
 */
public record Compare(String key, Target target, Op op, long number, byte[] value) {
  /** What part of the key to compare. */
  public enum Target {
    VERSION,
    CREATE,
    MOD,
    VALUE
  }

  /** The comparison. */
  public enum Op {
    EQUAL,
    NOT_EQUAL,
    LESS,
    GREATER
  }

  public Compare {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(op, "op");
    if (target == Target.VALUE) {
      Objects.requireNonNull(value, "value");
    }
  }

  /** The key does not exist. */
  public static Compare absent(String key) {
    return new Compare(key, Target.CREATE, Op.EQUAL, 0, null);
  }

  /** The key exists (any value). */
  public static Compare present(String key) {
    return new Compare(key, Target.CREATE, Op.GREATER, 0, null);
  }

  /** The key was last written at {@code modRevision} (0: the key does not exist). */
  public static Compare modRevision(String key, long modRevision) {
    return new Compare(key, Target.MOD, Op.EQUAL, modRevision, null);
  }

  public static Compare valueEquals(String key, byte[] value) {
    return new Compare(key, Target.VALUE, Op.EQUAL, 0, value);
  }

  /** Evaluates this guard against the key's current state ({@code null} when missing). */
  public boolean test(KeyValue current) {
    if (target == Target.VALUE) {
      if (current == null) {
        return false;
      }
      // Unsigned, as etcd compares bytes: "é" (0xC3..) sorts after "a" (0x61).
      int c = Arrays.compareUnsigned(current.value(), value);
      return apply(c);
    }
    long actual =
        current == null
            ? 0
            : switch (target) {
              case VERSION -> current.version();
              case CREATE -> current.createRevision();
              case MOD -> current.modRevision();
              case VALUE -> throw new AssertionError();
            };
    return apply(Long.compare(actual, number));
  }

  private boolean apply(int c) {
    return switch (op) {
      case EQUAL -> c == 0;
      case NOT_EQUAL -> c != 0;
      case LESS -> c < 0;
      case GREATER -> c > 0;
    };
  }

  @Override
  public String toString() {
    return key + " " + target + " " + op + " " + (target == Target.VALUE ? "<bytes>" : number);
  }
}
