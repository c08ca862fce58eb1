package dev.weft.kube.embedded;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.CrudDispatcher;
import io.fabric8.mockwebserver.http.ByteString;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.lang.reflect.Field;
import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The mock server's CRUD dispatcher with an index by object name, and watches whose end does not
 * stall the server.
 *
 * <p>The stock dispatcher finds the object a request names by scanning every stored object, which
 * makes each create, patch and update cost O(objects): tens of milliseconds per request at 20,000
 * pods. With the index a named lookup costs O(objects with that name). The stock dispatcher only
 * ever writes its map through {@code put}, {@code remove} and {@code clear}, all under its own
 * lock; the index follows those three.
 *
 * <p>When a watch's connection ends (a client closing it, or a client process killed), the stock
 * watch listener shuts its send thread down and waits for it, up to a minute, on the server's event
 * loop; a send still queued waits for that same event loop to complete its write. Meanwhile every
 * request on that event loop stalls (a kube-manager killed with {@code kill -9} stalled the API for
 * its successor), and every change to an object the dead watch matched fails, since the listener
 * stays registered with its send thread already refusing work. Here the dead listener is
 * unregistered at once and its clean-up runs on a thread of its own.
 */
final class IndexedCrudDispatcher extends KubernetesCrudDispatcher {
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(IndexedCrudDispatcher.class);

  /** Clean-ups of ended watches; each may wait for its send thread, so not on an event loop. */
  private static final ExecutorService WATCH_CLEANUP =
      Executors.newCachedThreadPool(
          task -> {
            Thread t = new Thread(task, "weft-embedded-api-watch-cleanup");
            t.setDaemon(true);
            return t;
          });

  private final Map<String, Set<AttributeSet>> byName = new ConcurrentHashMap<>();
  private final Set<?> watchListeners;

  IndexedCrudDispatcher() {
    super(List.of());
    try {
      Field field = CrudDispatcher.class.getDeclaredField("map");
      field.setAccessible(true);
      field.set(this, new IndexedMap());
    } catch (ReflectiveOperationException | RuntimeException e) {
      // A fabric8 upgrade changed the internals: fall back to the (slow, correct) scan.
      log.warn("embedded Kubernetes API runs without its name index: {}", e.toString());
    }
    Set<?> listeners = null;
    try {
      Field field = KubernetesCrudDispatcher.class.getDeclaredField("watchEventListeners");
      field.setAccessible(true);
      listeners = (Set<?>) field.get(this);
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("embedded Kubernetes API may stall when a watch ends: {}", e.toString());
    }
    this.watchListeners = listeners;
  }

  @Override
  public MockResponse handleWatch(String path) {
    MockResponse response = super.handleWatch(path);
    WebSocketListener listener = response.getWebSocketListener();
    if (listener == null || watchListeners == null) {
      return response;
    }
    return response.withWebSocketUpgrade(new EndingOffTheEventLoop(listener));
  }

  /** A watch listener whose end neither blocks the event loop nor leaves it registered. */
  private final class EndingOffTheEventLoop extends WebSocketListener {
    private final WebSocketListener delegate;

    EndingOffTheEventLoop(WebSocketListener delegate) {
      this.delegate = delegate;
    }

    @Override
    public void onBeforeAccept(WebSocket webSocket, Response response) {
      delegate.onBeforeAccept(webSocket, response);
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      delegate.onOpen(webSocket, response);
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      delegate.onMessage(webSocket, text);
    }

    @Override
    public void onMessage(WebSocket webSocket, ByteString bytes) {
      delegate.onMessage(webSocket, bytes);
    }

    @Override
    public void onMessage(WebSocket webSocket, byte[] bytes) {
      delegate.onMessage(webSocket, bytes);
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      delegate.onClosing(webSocket, code, reason);
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      watchListeners.remove(delegate);
      WATCH_CLEANUP.execute(quietly(() -> delegate.onClosed(webSocket, code, reason)));
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable failure, Response response) {
      watchListeners.remove(delegate);
      WATCH_CLEANUP.execute(quietly(() -> delegate.onFailure(webSocket, failure, response)));
    }

    /**
     * {@code cleanup}, except that a server already stopped (its event loop terminated, taking the
     * watch's socket with it) leaves nothing to clean: said at debug level, not as a stack trace on
     * the console of a {@code weft up} being stopped.
     */
    private static Runnable quietly(Runnable cleanup) {
      return () -> {
        try {
          cleanup.run();
        } catch (java.util.concurrent.RejectedExecutionException e) {
          log.debug("watch clean-up after the embedded API server stopped: {}", e.getMessage());
        }
      };
    }
  }

  private boolean indexed() {
    return map instanceof IndexedMap;
  }

  static String name(AttributeSet set) {
    Attribute a = set.getAttribute("name");
    if (a == null || a.getValues() == null || a.getValues().size() != 1) {
      return null;
    }
    return a.getValues().get(0).toString();
  }

  @Override
  public Map.Entry<AttributeSet, String> findResource(AttributeSet query) {
    String name = name(query);
    if (name == null || !indexed()) {
      return super.findResource(query);
    }
    Set<AttributeSet> candidates = byName.get(name);
    if (candidates == null) {
      return null;
    }
    for (AttributeSet candidate : candidates) {
      if (candidate.matches(query)) {
        String value = map.get(candidate);
        if (value != null) {
          return new AbstractMap.SimpleImmutableEntry<>(candidate, value);
        }
      }
    }
    return null;
  }

  /** The dispatcher's map, keeping the name index in step. */
  private final class IndexedMap extends LinkedHashMap<AttributeSet, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String put(AttributeSet key, String value) {
      String name = name(key);
      if (name != null) {
        byName.computeIfAbsent(name, n -> ConcurrentHashMap.newKeySet()).add(key);
      }
      return super.put(key, value);
    }

    @Override
    public String remove(Object key) {
      String previous = super.remove(key);
      if (key instanceof AttributeSet set) {
        String name = name(set);
        if (name != null) {
          byName.computeIfPresent(
              name,
              (n, s) -> {
                s.remove(set);
                return s.isEmpty() ? null : s;
              });
        }
      }
      return previous;
    }

    @Override
    public void clear() {
      super.clear();
      byName.clear();
    }
  }
}
