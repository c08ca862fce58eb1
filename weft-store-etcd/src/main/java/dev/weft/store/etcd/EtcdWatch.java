package dev.weft.store.etcd;

import dev.weft.store.KeyValue;
import dev.weft.store.StoreException;
import dev.weft.store.Watch;
import dev.weft.store.WatchEvent;
import dev.weft.store.WatchListener;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.common.exception.CompactedException;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchResponse;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One watch of an {@link EtcdConfigStore}: a chain of etcd watch streams ("upstreams"), each
 * started from the revision after the last event received, feeding a queue that a thread of its own
 * hands to the listener.
 *
 * <p>jetcd resumes broken watch streams by itself, but from a revision it takes from response
 * headers, which can skip events not yet sent or repeat the last one. So every upstream is closed
 * at its first error and replaced by one started from {@code nextRevision}, which only ever moves
 * past events that were queued. Events below it (none are expected) are dropped as repeats.
 *
 * <p>Threads: jetcd's callbacks only post to the store's single control thread, which owns the
 * upstream state and never blocks; this is what keeps jetcd's lock and ours from ever being taken
 * in opposite orders. The delivery thread runs the listener. A listener that falls behind by the
 * queue limit makes the watch stop reading from etcd until it has caught up by half; the watch then
 * resumes from its next revision, so memory stays bounded and nothing is dropped.
 */
final class EtcdWatch implements Watch {
  private static final Logger LOG = LoggerFactory.getLogger(EtcdWatch.class);

  /** Most events handed to the listener in one call (whole revisions are never split). */
  static final int MAX_EVENTS_PER_DELIVERY = 1_000;

  private static final long MIN_BACKOFF_MILLIS = 100;
  private static final long MAX_BACKOFF_MILLIS = 3_000;

  private final io.etcd.jetcd.Watch etcd;
  private final ScheduledExecutorService control;
  private final KeySpace keys;
  private final String prefix;
  private final ByteSequence rangeStart;
  private final ByteSequence rangeEnd;
  private final WatchListener listener;
  private final int queueLimit;
  private final String description;
  private final Consumer<EtcdWatch> onEnd;
  private final Thread deliverer;
  private final BlockingQueue<Item> queue = new LinkedBlockingQueue<>();
  private final AtomicInteger queuedEvents = new AtomicInteger();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final AtomicLong upstreamsOpened = new AtomicLong();

  // Owned by the control thread.
  private long nextRevision;
  private Upstream upstream;
  private ScheduledFuture<?> pendingRestart;
  private boolean ended;
  private int failures;
  // Written by the control thread only; volatile for paused().
  private volatile boolean suspended;

  /** What the delivery thread gets. */
  private sealed interface Item permits Events, Compacted, Failed, Stop {}

  private record Events(List<WatchEvent> events) implements Item {}

  private record Compacted(long revision) implements Item {}

  private record Failed(Throwable error) implements Item {}

  private enum Stop implements Item {
    STOP
  }

  EtcdWatch(
      io.etcd.jetcd.Watch etcd,
      ScheduledExecutorService control,
      KeySpace keys,
      String prefix,
      long fromRevision,
      WatchListener listener,
      int queueLimit,
      String storeDescription,
      Consumer<EtcdWatch> onEnd) {
    this.etcd = etcd;
    this.control = control;
    this.keys = keys;
    this.prefix = prefix;
    this.rangeStart = keys.rangeStart(prefix);
    this.rangeEnd = keys.rangeEnd(prefix);
    this.nextRevision = fromRevision;
    this.listener = listener;
    this.queueLimit = queueLimit;
    this.description = "watch of prefix \"" + prefix + "\" on " + storeDescription;
    this.onEnd = onEnd;
    this.deliverer = new Thread(this::deliver, "weft-etcd-watch " + prefix);
    deliverer.setDaemon(true);
  }

  void start() {
    deliverer.start();
    onControl(this::connect);
  }

  /**
   * Stops the watch: no callback starts after this returns (one already running may finish).
   * Idempotent; may be called from the watch's own callback.
   */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      queue.add(Stop.STOP);
      onControl(this::detach);
    }
  }

  /** How many etcd watch streams this watch has opened: 1 plus its reconnects and resumes. */
  long upstreamsOpened() {
    return upstreamsOpened.get();
  }

  /** Whether the watch has let go of etcd until its listener catches up. */
  boolean paused() {
    return suspended;
  }

  Thread deliverer() {
    return deliverer;
  }

  // ---- control thread ----

  private void onControl(Runnable task) {
    try {
      control.execute(
          () -> {
            try {
              task.run();
            } catch (RuntimeException e) {
              fail(e);
            }
          });
    } catch (RejectedExecutionException e) {
      // The store is closing; close() of the store stops this watch too.
    }
  }

  private void connect() {
    pendingRestart = null;
    if (closed.get() || ended || upstream != null) {
      return;
    }
    if (queuedEvents.get() >= queueLimit) {
      suspended = true;
      return;
    }
    Upstream u = new Upstream();
    upstream = u;
    WatchOption option =
        WatchOption.builder()
            .withRange(rangeEnd)
            .withRevision(nextRevision)
            .withPrevKV(true)
            .withCreateNotify(true)
            // A member cut off from the leader ends the stream instead of going quiet.
            .withRequireLeader(true)
            .build();
    try {
      u.watcher = etcd.watch(rangeStart, option, u);
      upstreamsOpened.incrementAndGet();
    } catch (RuntimeException e) {
      upstream = null;
      if (!closed.get()) {
        retryLater(EtcdErrors.status(e), e);
      }
    }
  }

  private void received(Upstream u, WatchResponse response) {
    if (closed.get() || u != upstream) {
      return;
    }
    if (failures > 0) {
      LOG.info("{}: resumed at revision {}", description, nextRevision);
      failures = 0;
    }
    List<io.etcd.jetcd.watch.WatchEvent> raw = response.getEvents();
    if (raw.isEmpty()) {
      return;
    }
    List<WatchEvent> events = new ArrayList<>(raw.size());
    long last = nextRevision - 1;
    int repeats = 0;
    for (io.etcd.jetcd.watch.WatchEvent e : raw) {
      long revision = e.getKeyValue().getModRevision();
      if (revision < nextRevision) {
        repeats++;
        continue;
      }
      if (revision < last) {
        throw new IllegalStateException(
            "etcd sent revision " + revision + " after revision " + last + " in one response");
      }
      last = revision;
      events.add(toEvent(e));
    }
    if (repeats > 0) {
      LOG.warn("{}: dropped {} events etcd sent again", description, repeats);
    }
    if (events.isEmpty()) {
      return;
    }
    nextRevision = last + 1;
    queue.add(new Events(Collections.unmodifiableList(events)));
    if (queuedEvents.addAndGet(events.size()) >= queueLimit) {
      LOG.debug("{}: listener is {} events behind; pausing", description, queuedEvents.get());
      suspended = true;
      detach();
    }
  }

  private void broken(Upstream u, Throwable error) {
    if (closed.get() || u != upstream) {
      return;
    }
    detach();
    CompactedException compacted = compactedCause(error);
    if (compacted != null) {
      ended = true;
      queue.add(new Compacted(compacted.getCompactedRevision()));
      return;
    }
    Status status =
        error == null
            ? Status.UNAVAILABLE.withDescription("etcd ended the watch stream")
            : EtcdErrors.status(error);
    if (EtcdErrors.isPermanent(status)) {
      ended = true;
      queue.add(
          new Failed(
              new StoreException(
                  description
                      + " failed at revision "
                      + nextRevision
                      + ": "
                      + EtcdErrors.describe(status),
                  error)));
      return;
    }
    retryLater(status, error);
  }

  private void retryLater(Status status, Throwable error) {
    failures++;
    long delay = Math.min(MAX_BACKOFF_MILLIS, MIN_BACKOFF_MILLIS << Math.min(failures - 1, 10));
    // The first failure of a run, then one in twenty: an etcd that stays away is worth a line
    // now and then, not one per attempt.
    if (failures % 20 == 1) {
      LOG.warn(
          "{}: interrupted ({}, attempt {}); resuming from revision {}",
          description,
          EtcdErrors.describe(status),
          failures,
          nextRevision);
    } else {
      LOG.debug("{}: attempt {} failed", description, failures, error);
    }
    pendingRestart = control.schedule(() -> onControl(this::connect), delay, TimeUnit.MILLISECONDS);
  }

  private void resumeIfCaughtUp() {
    if (suspended && queuedEvents.get() <= queueLimit / 2) {
      suspended = false;
      LOG.debug("{}: listener caught up; resuming from revision {}", description, nextRevision);
      connect();
    }
  }

  /** Drops the current upstream, if any, and any restart planned. */
  private void detach() {
    if (pendingRestart != null) {
      pendingRestart.cancel(false);
      pendingRestart = null;
    }
    Upstream u = upstream;
    upstream = null;
    if (u != null && u.watcher != null) {
      // jetcd calls u.onCompleted() from here; u is no longer current, so that is ignored.
      u.watcher.close();
    }
  }

  /** A bug or a response that cannot be read: the listener is told, and the watch ends. */
  private void fail(RuntimeException e) {
    if (ended || closed.get()) {
      return;
    }
    LOG.warn("{}: failed at revision {}; ending it", description, nextRevision, e);
    ended = true;
    detach();
    queue.add(new Failed(new StoreException(description + " failed: " + e.getMessage(), e)));
  }

  private WatchEvent toEvent(io.etcd.jetcd.watch.WatchEvent e) {
    WatchEvent.Type type =
        switch (e.getEventType()) {
          case PUT -> WatchEvent.Type.PUT;
          case DELETE -> WatchEvent.Type.DELETE;
          default ->
              throw new IllegalStateException(
                  "etcd sent an event of unknown type at revision "
                      + e.getKeyValue().getModRevision());
        };
    io.etcd.jetcd.KeyValue prev = e.getPrevKV();
    // jetcd gives an empty KeyValue, not null, when etcd sent no previous value (a create, or a
    // previous value already compacted away).
    KeyValue prevKv = prev == null || prev.getModRevision() == 0 ? null : toKeyValue(prev);
    return new WatchEvent(type, toKeyValue(e.getKeyValue()), prevKv);
  }

  private KeyValue toKeyValue(io.etcd.jetcd.KeyValue kv) {
    return new KeyValue(
        keys.decode(kv.getKey()),
        kv.getValue().getBytes(),
        kv.getCreateRevision(),
        kv.getModRevision(),
        kv.getVersion());
  }

  private static CompactedException compactedCause(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof CompactedException c) {
        return c;
      }
    }
    return null;
  }

  /** Receives one etcd watch stream's callbacks and posts them to the control thread. */
  private final class Upstream implements io.etcd.jetcd.Watch.Listener {
    io.etcd.jetcd.Watch.Watcher watcher;

    @Override
    public void onNext(WatchResponse response) {
      onControl(() -> received(this, response));
    }

    @Override
    public void onError(Throwable error) {
      onControl(() -> broken(this, error));
    }

    @Override
    public void onCompleted() {
      onControl(() -> broken(this, null));
    }
  }

  // ---- delivery thread ----

  private void deliver() {
    try {
      while (true) {
        Item item = queue.take();
        if (closed.get() || item == Stop.STOP) {
          return;
        }
        if (item instanceof Events first) {
          List<WatchEvent> batch = withQueuedEvents(first.events());
          if (!call(() -> listener.onEvents(batch))) {
            return;
          }
          int left = queuedEvents.addAndGet(-batch.size());
          if (left <= queueLimit / 2 && left + batch.size() > queueLimit / 2) {
            onControl(this::resumeIfCaughtUp);
          }
        } else if (item instanceof Compacted c) {
          call(() -> listener.onCompacted(c.revision()));
          return;
        } else if (item instanceof Failed f) {
          call(() -> listener.onError(f.error()));
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closed.set(true);
      onControl(this::detach);
      onEnd.accept(this);
    }
  }

  /** {@code events} and the events queued behind them, up to the delivery limit. */
  private List<WatchEvent> withQueuedEvents(List<WatchEvent> events) {
    if (!(queue.peek() instanceof Events)) {
      return events;
    }
    List<WatchEvent> batch = new ArrayList<>(events);
    // Only this thread takes from the queue, so what peek() saw is what poll() takes.
    while (batch.size() < MAX_EVENTS_PER_DELIVERY && queue.peek() instanceof Events next) {
      queue.poll();
      batch.addAll(next.events());
    }
    return Collections.unmodifiableList(batch);
  }

  /** Runs a listener callback unless the watch was closed; false if the watch must end. */
  private boolean call(Runnable callback) {
    if (closed.get()) {
      return false;
    }
    try {
      callback.run();
      return true;
    } catch (RuntimeException e) {
      LOG.warn("{}: listener failed; ending the watch", description, e);
      if (!closed.get()) {
        try {
          listener.onError(e);
        } catch (RuntimeException again) {
          LOG.warn("{}: listener failed in onError too", description, again);
        }
      }
      return false;
    }
  }
}
