package dev.weft.kube.embedded;

import dev.weft.model.PortRange;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.random.RandomGenerator;

/**
 * The API server's node-port allocator, in memory: one pool over the node-port range whatever the
 * protocol, so that no two services ever get the same node port, and memory of which service (by
 * {@code namespace/name}) holds which port for which of its port entries (by port name), so that a
 * service replaced without {@code nodePort} gets the ones it had back, as the real API server
 * patches them in on update.
 *
 * <p>As the API server (KEP-3668), the lowest part of the range, {@code min(max(16, size/32), 128)}
 * ports, is a static band left for services that ask for a fixed port; dynamic allocation takes
 * ports above it, next-fit from a random start, and falls back to the static band only when the
 * rest is full.
 *
 * <p>Ports a service asked for itself are recorded only through {@link #retain}; callers pass a
 * predicate saying which ports other services' specs already carry. Thread-safe.
 */
final class NodePortAllocator {
  private final PortRange range;
  private final int dynamic;
  private int cursor;

  private final Map<Integer, String> ownerOf = new HashMap<>();
  private final Map<String, Holding> held = new HashMap<>();

  /**
   * What one service holds: its ports, and which port each of its port entries (by name) has. Two
   * entries may share a port (the same port number on two protocols) and in the mock API server two
   * entries may even share a name, hence both.
   */
  private record Holding(Set<Integer> ports, Map<String, Integer> byName) {}

  /** One port entry of a service and the node port it is to hold. */
  record Entry(String portName, int nodePort) {
    Entry {
      portName = portName == null ? "" : portName;
    }
  }

  /**
   * @param range the node-port range (the API server's {@code --service-node-port-range})
   * @param random where the first dynamic search starts; tests pass a seeded one
   */
  NodePortAllocator(PortRange range, RandomGenerator random) {
    if (range.start() < 1) {
      throw new IllegalArgumentException("node-port range " + range + " must not include port 0");
    }
    this.range = range;
    int size = range.end() - range.start() + 1;
    int band = Math.min(Math.max(16, size / 32), 128);
    // A range too small for a band is all dynamic.
    this.dynamic = band < size ? range.start() + band : range.start();
    this.cursor = dynamic + random.nextInt(range.end() - dynamic + 1);
  }

  PortRange range() {
    return range;
  }

  /**
   * A port no service holds and {@code unavailable} does not rule out, now held by {@code owner}
   * for its port entry {@code portName}; 0 when the range is full. Whatever the entry held before
   * stays held until {@link #retain} says otherwise.
   */
  synchronized int allocate(String owner, String portName, IntPredicate unavailable) {
    int dynamicSpan = range.end() - dynamic + 1;
    int total = range.end() - range.start() + 1;
    for (int step = 0; step < total; step++) {
      int port =
          step < dynamicSpan
              ? dynamic + Math.floorMod(cursor - dynamic + step, dynamicSpan)
              : range.start() + (step - dynamicSpan);
      if (!ownerOf.containsKey(port) && !unavailable.test(port)) {
        if (port >= dynamic) {
          cursor = port + 1 > range.end() ? dynamic : port + 1;
        }
        Holding mine =
            held.computeIfAbsent(owner, o -> new Holding(new HashSet<>(), new LinkedHashMap<>()));
        // What the entry held before stays held until the caller's retain: another entry of the
        // same service may be about to use it.
        mine.byName().put(portName == null ? "" : portName, port);
        mine.ports().add(port);
        ownerOf.put(port, owner);
        return port;
      }
    }
    return 0;
  }

  /**
   * Makes {@code owner} hold exactly the node ports of {@code entries} that lie in the range
   * (others it held are released); a port another owner holds stays with that owner.
   */
  synchronized void retain(String owner, List<Entry> entries) {
    Holding before = held.remove(owner);
    if (before != null) {
      before.ports().forEach(ownerOf::remove);
    }
    Holding now = new Holding(new HashSet<>(), new LinkedHashMap<>());
    for (Entry e : entries) {
      int port = e.nodePort();
      String current = ownerOf.get(port);
      if (range.contains(port) && (current == null || current.equals(owner))) {
        ownerOf.put(port, owner);
        now.ports().add(port);
        now.byName().put(e.portName(), port);
      }
    }
    if (!now.ports().isEmpty()) {
      held.put(owner, now);
    }
  }

  /** Releases every port {@code owner} holds. */
  synchronized void release(String owner) {
    Holding mine = held.remove(owner);
    if (mine != null) {
      mine.ports().forEach(ownerOf::remove);
    }
  }

  /** Who holds {@code port}, or null. */
  synchronized String owner(int port) {
    return ownerOf.get(port);
  }

  /** The port {@code owner} holds for its port entry {@code portName}, or null. */
  synchronized Integer heldFor(String owner, String portName) {
    Holding mine = held.get(owner);
    return mine == null ? null : mine.byName().get(portName == null ? "" : portName);
  }

  /** Whether {@code owner} holds {@code port}. */
  synchronized boolean holds(String owner, int port) {
    return owner.equals(ownerOf.get(port));
  }
}
