package dev.weft.store;

/**
 * A change to one key. For a delete, {@code kv} holds the key, an empty value and the delete's
 * revision as {@code modRevision}; {@code prevKv} is the value before the change when known.
 */
public record WatchEvent(Type type, KeyValue kv, KeyValue prevKv) {
  /** Kind of change. */
  public enum Type {
    PUT,
    DELETE
  }
}
