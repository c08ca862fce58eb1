package dev.weft.store.objects;

import dev.weft.store.ConfigStore;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * Typed access to Weft's objects: reads from the watch-fed {@link ObjectCache}, writes through
 * {@link ObjectTxn}. {@link #commit} waits until the cache shows the commit (read-your-writes).
 */
public final class ObjectStore implements AutoCloseable {
  private static final Duration VISIBILITY_TIMEOUT = Duration.ofSeconds(30);
  private final ConfigStore store;
  private final ObjectCodec codec;
  private final ObjectCache cache;

  public ObjectStore(ConfigStore store) {
    this.store = store;
    this.codec = new ObjectCodec();
    this.cache = new ObjectCache(store, codec).start();
  }

  public ConfigStore kv() {
    return store;
  }

  public ObjectCodec codec() {
    return codec;
  }

  public ObjectCache cache() {
    return cache;
  }

  public ObjectTxn begin() {
    return new ObjectTxn(store, codec);
  }

  /**
   * Commits {@code txn} and waits until the cache reflects it.
   *
   * @return the revision of the commit
   * @throws ConflictException when a guard failed
   */
  public long commit(ObjectTxn txn) {
    long rev = txn.commit();
    awaitVisible(rev);
    return rev;
  }

  /** Waits until the cache reflects revision {@code rev}. */
  public void awaitVisible(long rev) {
    try {
      cache.awaitRevision(rev, VISIBILITY_TIMEOUT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for the object cache", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    cache.close();
  }
}
