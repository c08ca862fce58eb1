package dev.weft.kube.embedded;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The slice writes the stand-ins made and have not yet seen in their cache, per service. Planning
 * from a cache that lacks a slice just created would create it again (the upstream controller's
 * {@code EndpointSliceTracker} exists for the same reason), so a service is only planned once the
 * cache shows its own writes. An expectation nobody confirms (someone else deleted the slice
 * meanwhile) lapses after {@link #LAPSE}.
 *
 * <p>Thread-safe; the work queue never runs one service on two threads, which is all the
 * per-service bookkeeping relies on.
 */
final class SliceTracker {
  static final Duration LAPSE = Duration.ofSeconds(10);
  private static final long GONE = -1;

  private record Expectation(long resourceVersion, Instant since) {}

  private final Clock clock;
  private final Map<String, Map<String, Expectation>> expected = new ConcurrentHashMap<>();

  SliceTracker(Clock clock) {
    this.clock = clock;
  }

  /** The stand-ins wrote slice {@code name} of {@code service}; it has this resource version. */
  void wrote(String service, String name, String resourceVersion) {
    // An unreadable version expects nothing more than that the slice is there.
    expect(service, name, parse(resourceVersion, 0));
  }

  /** The stand-ins deleted slice {@code name} of {@code service}. */
  void deleted(String service, String name) {
    expect(service, name, GONE);
  }

  private void expect(String service, String name, long version) {
    expected
        .computeIfAbsent(service, s -> new ConcurrentHashMap<>())
        .put(name, new Expectation(version, clock.instant()));
  }

  /**
   * Whether the cache shows every write made for {@code service} ({@code namespace/name}); forgets
   * those it shows.
   *
   * @param cache a slice by {@code namespace/name}, or null
   */
  boolean caughtUp(String service, Function<String, EndpointSlice> cache) {
    Map<String, Expectation> mine = expected.get(service);
    if (mine == null) {
      return true;
    }
    String namespace = service.substring(0, service.indexOf('/'));
    Instant lapsed = clock.instant().minus(LAPSE);
    mine.entrySet()
        .removeIf(
            e -> {
              EndpointSlice cached = cache.apply(namespace + "/" + e.getKey());
              Expectation x = e.getValue();
              boolean seen =
                  x.resourceVersion() == GONE
                      ? cached == null
                      : cached != null
                          && parse(cached.getMetadata().getResourceVersion(), Long.MAX_VALUE)
                              >= x.resourceVersion();
              return seen || x.since().isBefore(lapsed);
            });
    if (mine.isEmpty()) {
      expected.remove(service, mine);
      return true;
    }
    return false;
  }

  /** Resource versions of the embedded API are counters; {@code otherwise} for anything else. */
  private static long parse(String resourceVersion, long otherwise) {
    try {
      return resourceVersion == null ? otherwise : Long.parseLong(resourceVersion);
    } catch (NumberFormatException e) {
      return otherwise;
    }
  }
}
