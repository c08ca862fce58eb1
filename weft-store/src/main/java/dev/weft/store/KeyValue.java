package dev.weft.store;

import java.nio.charset.StandardCharsets;

/**
 * A key and its value at a revision, as etcd reports it.
 *
 * @param createRevision revision of the write that created the key (its current incarnation)
 * @param modRevision revision of the last write to the key
 * @param version number of writes since creation, 1 after the create
 */
public record KeyValue(
    String key, byte[] value, long createRevision, long modRevision, long version) {

  public String valueAsString() {
    return new String(value, StandardCharsets.UTF_8);
  }
}
