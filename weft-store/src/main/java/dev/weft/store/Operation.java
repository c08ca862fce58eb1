package dev.weft.store;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A write inside a transaction: put one key, delete one key, or delete every key under a prefix.
 */
public sealed interface Operation {
  String key();

  /** Sets {@code key} to {@code value}. */
  record Put(String key, byte[] value) implements Operation {
    public Put {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
    }

    public static Put of(String key, String value) {
      return new Put(key, value.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** Deletes {@code key}; deleting a missing key is not an error. */
  record Delete(String key) implements Operation {
    public Delete {
      Objects.requireNonNull(key, "key");
    }
  }

  /** Deletes every key starting with {@code key}. */
  record DeletePrefix(String key) implements Operation {
    public DeletePrefix {
      Objects.requireNonNull(key, "key");
    }
  }
}
