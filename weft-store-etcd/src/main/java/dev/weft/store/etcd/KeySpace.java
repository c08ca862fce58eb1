package dev.weft.store.etcd;

import io.etcd.jetcd.ByteSequence;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Maps Weft's keys into one namespace of the etcd key space and back: a key is its UTF-8 bytes
 * behind the namespace's, so etcd's byte order is Weft's key order. Prefixes become etcd's {@code
 * [key, range_end)} ranges.
 *
 * <p>jetcd has a namespace option of its own; doing it here keeps every byte that goes to etcd in
 * one place, including the range ends of empty prefixes, which etcd spells {@code "\0"}.
 */
final class KeySpace {
  /** etcd's "no lower bound" key and "no upper bound" range end. */
  private static final byte[] ZERO = {0};

  private final byte[] namespace;

  KeySpace(String namespace) {
    this.namespace = namespace.getBytes(StandardCharsets.UTF_8);
  }

  /** The etcd key of {@code key}; empty (which etcd rejects) only for "" with no namespace. */
  ByteSequence key(String key) {
    return ByteSequence.from(concat(key));
  }

  /** A key that exists in etcd only if someone outside Weft wrote it, for reading the revision. */
  ByteSequence probeKey() {
    return ByteSequence.from(namespace.length == 0 ? ZERO : namespace);
  }

  /** The first etcd key of the range of keys starting with {@code prefix}. */
  ByteSequence rangeStart(String prefix) {
    byte[] start = concat(prefix);
    return ByteSequence.from(start.length == 0 ? ZERO : start);
  }

  /** The end (exclusive) of the range of keys starting with {@code prefix}. */
  ByteSequence rangeEnd(String prefix) {
    return ByteSequence.from(prefixEnd(concat(prefix)));
  }

  /** The end of the range just after {@code key}: the next key to read when paging. */
  static ByteSequence after(ByteSequence key) {
    byte[] bytes = key.getBytes();
    byte[] next = Arrays.copyOf(bytes, bytes.length + 1);
    return ByteSequence.from(next);
  }

  /** Weft's key for an etcd key inside this namespace. */
  String decode(ByteSequence etcdKey) {
    byte[] bytes = etcdKey.getBytes();
    if (bytes.length < namespace.length
        || !Arrays.equals(bytes, 0, namespace.length, namespace, 0, namespace.length)) {
      throw new IllegalStateException(
          "etcd returned key \""
              + new String(bytes, StandardCharsets.UTF_8)
              + "\" outside namespace \""
              + new String(namespace, StandardCharsets.UTF_8)
              + "\"");
    }
    return new String(
        bytes, namespace.length, bytes.length - namespace.length, StandardCharsets.UTF_8);
  }

  private byte[] concat(String key) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    byte[] out = Arrays.copyOf(namespace, namespace.length + k.length);
    System.arraycopy(k, 0, out, namespace.length, k.length);
    return out;
  }

  /**
   * The smallest byte string greater than every string starting with {@code prefix}: drop trailing
   * 0xFF bytes and add one to the last byte left. "\0" (every key) when there is none.
   */
  static byte[] prefixEnd(byte[] prefix) {
    for (int i = prefix.length - 1; i >= 0; i--) {
      if (prefix[i] != (byte) 0xFF) {
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
      }
    }
    return ZERO.clone();
  }
}
