package dev.weft.store.etcd;

import dev.weft.store.Compare;
import dev.weft.store.ConfigStore;
import dev.weft.store.KeyValue;
import dev.weft.store.Operation;
import dev.weft.store.RangeResult;
import dev.weft.store.StoreException;
import dev.weft.store.Txn;
import dev.weft.store.TxnResult;
import dev.weft.store.Watch;
import dev.weft.store.WatchListener;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.CompactOption;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.grpc.Status;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link ConfigStore} on an etcd cluster. Revisions, create and mod revisions and versions are
 * etcd's own; a {@link Txn} is one etcd transaction; a watch is an etcd watch with previous values.
 *
 * <p>Thread-safe. Reads are linearizable. The client talks to one member at a time (gRPC {@code
 * pick_first}) and moves to the next endpoint when that member goes away, so what one store writes,
 * compacts and watches is seen in the order it did it. Reads are retried on another member when one
 * becomes unavailable; writes are not retried, since a write that failed that way may have been
 * applied: the caller gets a {@link StoreException} saying so, and re-reads. Every request has a
 * deadline ({@link EtcdStoreConfig#requestTimeout()}).
 *
 * <p>Watches survive lost connections and member restarts: each resumes from the revision after the
 * last one it delivered, so nothing is lost or repeated; if that revision has been compacted
 * meanwhile, the listener's {@link WatchListener#onCompacted} tells it to relist. Each watch
 * delivers on its own daemon thread.
 *
 * <p>etcd keeps one history for its whole key space: {@link #compact} (and etcd's own {@code
 * --auto-compaction-*}) compacts every namespace sharing the cluster, and revisions count the
 * writes of every namespace.
 */
public final class EtcdConfigStore implements ConfigStore {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdConfigStore.class);

  /**
   * gRPC logs through java.util.logging, at INFO for things like "Epoll available: false" that
   * reach the console of {@code weft up}. Held strongly: JUL forgets the level of loggers nobody
   * references. Named from a class so that it follows gRPC when the shade plugin relocates it.
   */
  private static final java.util.logging.Logger GRPC_LOG =
      java.util.logging.Logger.getLogger(Status.class.getPackageName());

  static {
    GRPC_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  /** Watch events queued for a slow listener before the watch stops reading from etcd. */
  public static final int DEFAULT_WATCH_QUEUE_LIMIT = 10_000;

  /** Keys read per request by {@link #range}; pages are read at one revision. */
  static final int RANGE_PAGE_SIZE = 1_000;

  /** Largest response accepted from etcd. */
  static final int MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

  /** How often a range restarts when a compaction overtakes its pinned revision. */
  private static final int RANGE_ATTEMPTS = 5;

  private final EtcdStoreConfig config;
  private final String description;
  private final KeySpace keys;
  private final Client client;
  private final KV kv;
  private final Duration waitLimit;
  private final ScheduledExecutorService control;
  private final int watchQueueLimit;
  private final Set<EtcdWatch> watches = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private EtcdConfigStore(EtcdStoreConfig config, int watchQueueLimit) {
    this.config = config;
    this.description = config.url();
    this.keys = new KeySpace(config.namespace());
    this.watchQueueLimit = watchQueueLimit;
    Duration timeout = config.requestTimeout();
    this.client =
        Client.builder()
            .endpoints(config.endpoints().stream().map(e -> URI.create("http://" + e)).toList())
            .loadBalancerPolicy("pick_first")
            .connectTimeout(min(timeout, Duration.ofSeconds(5)))
            .keepaliveTime(Duration.ofSeconds(10))
            .keepaliveTimeout(Duration.ofSeconds(5))
            // jetcd retries only what is safe to redo (reads, compaction) on UNAVAILABLE; these
            // bound how long it keeps at it.
            .retryDelay(100)
            .retryMaxDelay(1_000)
            .retryMaxAttempts(3)
            .retryMaxDuration(timeout)
            .interceptor(new DeadlineInterceptor(timeout))
            // A watch response carries up to 1,000 revisions with their previous values, and
            // etcd does not split it: gRPC's 4 MiB default would fail such a watch for good.
            .maxInboundMessageSize(MAX_RESPONSE_BYTES)
            .build();
    this.kv = client.getKVClient();
    // An attempt started just before the retry budget runs out still has its own deadline.
    this.waitLimit = timeout.multipliedBy(2).plusSeconds(5);
    this.control =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "weft-etcd-watch-control " + description);
              t.setDaemon(true);
              return t;
            });
  }

  /**
   * Connects to etcd and reads its revision, so that a wrong address fails here.
   *
   * @throws StoreException if etcd does not answer within the request timeout
   */
  public static EtcdConfigStore connect(EtcdStoreConfig config) {
    return connect(config, DEFAULT_WATCH_QUEUE_LIMIT);
  }

  static EtcdConfigStore connect(EtcdStoreConfig config, int watchQueueLimit) {
    Objects.requireNonNull(config, "config");
    if (watchQueueLimit < 2) {
      throw new IllegalArgumentException(
          "watch queue limit must be at least 2: " + watchQueueLimit);
    }
    EtcdConfigStore store = new EtcdConfigStore(config, watchQueueLimit);
    try {
      long revision = store.revision();
      LOG.info("connected to {} at revision {}", store.description, revision);
      return store;
    } catch (RuntimeException | Error e) {
      store.close();
      throw e;
    }
  }

  /** What this store was opened with. */
  public EtcdStoreConfig config() {
    return config;
  }

  @Override
  public long revision() {
    checkOpen();
    GetResponse r =
        await(
            "read the revision",
            kv.get(keys.probeKey(), GetOption.builder().withCountOnly(true).build()),
            false);
    return r.getHeader().getRevision();
  }

  @Override
  public Optional<KeyValue> get(String key) {
    Objects.requireNonNull(key, "key");
    checkOpen();
    if (key.isEmpty()) {
      // No Weft write can create the empty key (Txn refuses it, as etcd does).
      return Optional.empty();
    }
    GetResponse r = await("read key \"" + key + "\"", kv.get(keys.key(key)), false);
    return r.getKvs().isEmpty() ? Optional.empty() : Optional.of(toKeyValue(r.getKvs().get(0)));
  }

  @Override
  public RangeResult range(String prefix) {
    Objects.requireNonNull(prefix, "prefix");
    checkOpen();
    for (int attempt = 1; ; attempt++) {
      try {
        return rangeAtOneRevision(prefix);
      } catch (EtcdRequestException e) {
        if (!EtcdErrors.isCompacted(e.status()) || attempt == RANGE_ATTEMPTS) {
          throw e;
        }
        LOG.debug("range of \"{}\" overtaken by a compaction; reading it again", prefix);
      }
    }
  }

  /** Reads page after page, every page at the revision of the first. */
  private RangeResult rangeAtOneRevision(String prefix) {
    ByteSequence end = keys.rangeEnd(prefix);
    ByteSequence from = keys.rangeStart(prefix);
    List<KeyValue> out = new ArrayList<>();
    long revision = 0;
    while (true) {
      GetOption option =
          GetOption.builder()
              .withRange(end)
              .withLimit(RANGE_PAGE_SIZE)
              .withRevision(revision)
              .build();
      GetResponse page = await("read prefix \"" + prefix + "\"", kv.get(from, option), false);
      if (revision == 0) {
        revision = page.getHeader().getRevision();
      }
      List<io.etcd.jetcd.KeyValue> kvs = page.getKvs();
      for (io.etcd.jetcd.KeyValue kv : kvs) {
        out.add(toKeyValue(kv));
      }
      if (!page.isMore() || kvs.isEmpty()) {
        return new RangeResult(List.copyOf(out), revision);
      }
      from = KeySpace.after(kvs.get(kvs.size() - 1).getKey());
    }
  }

  @Override
  public TxnResult txn(Txn txn) {
    Objects.requireNonNull(txn, "txn");
    checkOpen();
    Cmp[] compares = txn.compares().stream().map(this::toCmp).toArray(Cmp[]::new);
    Op[] success = txn.success().stream().map(this::toOp).toArray(Op[]::new);
    Op[] failure = txn.failure().stream().map(this::toOp).toArray(Op[]::new);
    TxnResponse r =
        await(
            "apply a transaction",
            kv.txn().If(compares).Then(success).Else(failure).commit(),
            true);
    return new TxnResult(r.isSucceeded(), r.getHeader().getRevision());
  }

  private Cmp toCmp(Compare c) {
    ByteSequence key = keys.key(c.key());
    if (key.isEmpty()) {
      throw new IllegalArgumentException("compare " + c + ": etcd has no empty key to compare");
    }
    Cmp.Op op =
        switch (c.op()) {
          case EQUAL -> Cmp.Op.EQUAL;
          case NOT_EQUAL -> Cmp.Op.NOT_EQUAL;
          case LESS -> Cmp.Op.LESS;
          case GREATER -> Cmp.Op.GREATER;
        };
    CmpTarget<?> target =
        switch (c.target()) {
          case VERSION -> CmpTarget.version(c.number());
          case CREATE -> CmpTarget.createRevision(c.number());
          case MOD -> CmpTarget.modRevision(c.number());
          case VALUE -> CmpTarget.value(ByteSequence.from(c.value()));
        };
    return new Cmp(key, op, target);
  }

  private Op toOp(Operation op) {
    if (op instanceof Operation.Put put) {
      return Op.put(keys.key(put.key()), ByteSequence.from(put.value()), PutOption.DEFAULT);
    }
    if (op instanceof Operation.Delete delete) {
      return Op.delete(keys.key(delete.key()), DeleteOption.DEFAULT);
    }
    Operation.DeletePrefix prefix = (Operation.DeletePrefix) op;
    return Op.delete(
        keys.rangeStart(prefix.key()),
        DeleteOption.builder().withRange(keys.rangeEnd(prefix.key())).build());
  }

  @Override
  public Watch watch(String prefix, long fromRevision, WatchListener listener) {
    Objects.requireNonNull(prefix, "prefix");
    Objects.requireNonNull(listener, "listener");
    if (fromRevision < 0) {
      throw new IllegalArgumentException("watch from revision " + fromRevision + ": must be >= 0");
    }
    checkOpen();
    // "From now on" is pinned to a revision here rather than left to etcd, which would count from
    // whenever the stream is set up, and to resume from after a reconnect.
    long start = fromRevision == 0 ? revision() + 1 : fromRevision;
    EtcdWatch watch =
        new EtcdWatch(
            client.getWatchClient(),
            control,
            keys,
            prefix,
            start,
            listener,
            watchQueueLimit,
            description,
            watches::remove);
    watches.add(watch);
    watch.start();
    if (closed) {
      watch.close();
      throw closedException();
    }
    return watch;
  }

  /**
   * Compacts etcd's history up to {@code revision} (for every namespace of the cluster), waiting
   * until it is applied. Compacting to a revision already compacted is a no-op.
   *
   * @throws IllegalArgumentException if {@code revision} is newer than the store's revision
   */
  @Override
  public void compact(long revision) {
    checkOpen();
    if (revision <= 0) {
      return;
    }
    try {
      await(
          "compact to revision " + revision,
          kv.compact(revision, CompactOption.builder().withCompactPhysical(true).build()),
          false);
    } catch (EtcdRequestException e) {
      if (EtcdErrors.isCompacted(e.status())) {
        return;
      }
      if (EtcdErrors.isFutureRevision(e.status())) {
        throw new IllegalArgumentException(
            "cannot compact " + description + " to revision " + revision + ": it is not there yet",
            e);
      }
      throw e;
    }
  }

  @Override
  public String describe() {
    return description;
  }

  /** Stops every watch (without calling its listener) and disconnects. Idempotent. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (EtcdWatch watch : List.copyOf(watches)) {
      watch.close();
    }
    control.shutdownNow();
    client.close();
  }

  int openWatches() {
    return watches.size();
  }

  private KeyValue toKeyValue(io.etcd.jetcd.KeyValue kv) {
    return new KeyValue(
        keys.decode(kv.getKey()),
        kv.getValue().getBytes(),
        kv.getCreateRevision(),
        kv.getModRevision(),
        kv.getVersion());
  }

  private void checkOpen() {
    if (closed) {
      throw closedException();
    }
  }

  private StoreException closedException() {
    return new StoreException(description + " is closed");
  }

  /** Waits for a request, turning every way it can fail into a {@link StoreException}. */
  private <T> T await(String what, CompletableFuture<T> request, boolean write) {
    String unknown = write ? "; it may or may not have been applied" : "";
    try {
      return request.get(waitLimit.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      request.cancel(true);
      Thread.currentThread().interrupt();
      throw new StoreException(description + ": interrupted while waiting to " + what + unknown, e);
    } catch (TimeoutException e) {
      request.cancel(true);
      throw new StoreException(
          description + ": no answer within " + waitLimit.toSeconds() + " s to " + what + unknown,
          e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (closed) {
        throw new StoreException(description + " is closed", cause);
      }
      Status status = EtcdErrors.status(cause);
      throw new EtcdRequestException(
          description
              + ": could not "
              + what
              + ": "
              + EtcdErrors.describe(status)
              + (EtcdErrors.outcomeUnknown(status) ? unknown : ""),
          status,
          cause);
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }
}
