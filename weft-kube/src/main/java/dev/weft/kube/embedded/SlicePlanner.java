package dev.weft.kube.embedded;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Turns the endpoints one controller wants for a service into the slice writes that get there from
 * the slices it has, churning as little as the real controller does: an endpoint stays in the slice
 * it is in; endpoints that go leave gaps; new ones fill slices that are being written anyway, then
 * gaps, then new slices of at most {@code max} endpoints. A pure function.
 */
final class SlicePlanner {
  private SlicePlanner() {}

  /** A slice to create. */
  record Create(SliceShape shape, List<SliceEndpoint> endpoints) {}

  /**
   * A slice to rewrite with this shape and these endpoints (and the desired labels); the shape only
   * differs from the slice's when a slice about to be deleted is reused instead of creating one.
   */
  record Update(ObservedSlice slice, SliceShape shape, List<SliceEndpoint> endpoints) {
    Update(ObservedSlice slice, List<SliceEndpoint> endpoints) {
      this(slice, slice.shape(), endpoints);
    }
  }

  /** The writes, in the order to make them: creates and updates before deletes. */
  record Plan(List<Create> creates, List<Update> updates, List<ObservedSlice> deletes) {
    boolean isEmpty() {
      return creates.isEmpty() && updates.isEmpty() && deletes.isEmpty();
    }
  }

  /** A slice being planned: observed (or null when new) and the endpoints it will hold. */
  private static final class Slot {
    final ObservedSlice observed;
    final List<SliceEndpoint> endpoints = new ArrayList<>();
    boolean changed;

    Slot(ObservedSlice observed) {
      this.observed = observed;
    }
  }

  /**
   * Plans one controller's slices for one service.
   *
   * @param desired endpoints by shape, each list free of duplicate {@linkplain
   *     SliceEndpoint#identity() identities}
   * @param placeholderTypes address types that keep one empty slice (no ports, no endpoints) while
   *     they have no endpoints, as the endpoint-slice controller does; empty for mirroring
   * @param observed the slices this controller has for the service
   * @param labels the labels every slice should carry
   * @param ownerUid the uid of the owner the slices should have; slices of another owner (left by
   *     an object of the same name, deleted and created again) are deleted, as the garbage
   *     collector would
   * @param max the most endpoints in one slice
   */
  static Plan plan(
      Map<SliceShape, List<SliceEndpoint>> desired,
      Collection<String> placeholderTypes,
      Collection<ObservedSlice> observed,
      Map<String, String> labels,
      String ownerUid,
      int max) {
    List<Create> creates = new ArrayList<>();
    List<Update> updates = new ArrayList<>();
    List<ObservedSlice> deletes = new ArrayList<>();
    List<ObservedSlice> foreign = new ArrayList<>();

    Map<SliceShape, List<SliceEndpoint>> want = new LinkedHashMap<>();
    desired.forEach(
        (shape, endpoints) -> {
          if (!endpoints.isEmpty()) {
            want.put(shape, endpoints);
          }
        });
    for (String type : placeholderTypes) {
      if (want.keySet().stream().noneMatch(s -> s.addressType().equals(type))) {
        want.put(new SliceShape(type, List.of()), List.of());
      }
    }

    Map<SliceShape, List<ObservedSlice>> have = new LinkedHashMap<>();
    observed.stream()
        .sorted(Comparator.comparing(ObservedSlice::name))
        .forEach(
            s -> {
              if (ownerUid != null && !ownerUid.equals(s.ownerUid())) {
                foreign.add(s);
              } else {
                have.computeIfAbsent(s.shape(), k -> new ArrayList<>()).add(s);
              }
            });

    Set<SliceShape> shapes = new LinkedHashSet<>(want.keySet());
    shapes.addAll(have.keySet());
    for (SliceShape shape : shapes) {
      List<SliceEndpoint> endpoints = want.get(shape);
      List<ObservedSlice> existing = have.getOrDefault(shape, List.of());
      if (endpoints == null) {
        deletes.addAll(existing);
      } else if (endpoints.isEmpty()) {
        placeholder(shape, existing, labels, creates, updates, deletes);
      } else {
        fill(shape, endpoints, existing, labels, max, creates, updates, deletes);
      }
    }
    // As upstream, a slice about to go is rewritten rather than another created (the address type
    // of a slice cannot change; its ports can).
    for (var it = creates.iterator(); it.hasNext(); ) {
      Create c = it.next();
      ObservedSlice reuse =
          deletes.stream()
              .filter(d -> c.shape().addressType().equals(d.shape().addressType()))
              .findFirst()
              .orElse(null);
      if (reuse != null) {
        deletes.remove(reuse);
        updates.add(new Update(reuse, c.shape(), c.endpoints()));
        it.remove();
      }
    }
    deletes.addAll(foreign);
    return new Plan(List.copyOf(creates), List.copyOf(updates), List.copyOf(deletes));
  }

  private static void placeholder(
      SliceShape shape,
      List<ObservedSlice> existing,
      Map<String, String> labels,
      List<Create> creates,
      List<Update> updates,
      List<ObservedSlice> deletes) {
    if (existing.isEmpty()) {
      creates.add(new Create(shape, List.of()));
      return;
    }
    ObservedSlice keep = existing.get(0);
    if (!keep.endpoints().isEmpty() || !keep.labels().equals(labels)) {
      updates.add(new Update(keep, List.of()));
    }
    deletes.addAll(existing.subList(1, existing.size()));
  }

  private static void fill(
      SliceShape shape,
      List<SliceEndpoint> endpoints,
      List<ObservedSlice> existing,
      Map<String, String> labels,
      int max,
      List<Create> creates,
      List<Update> updates,
      List<ObservedSlice> deletes) {
    Map<String, SliceEndpoint> unplaced = new LinkedHashMap<>();
    for (SliceEndpoint e : endpoints) {
      unplaced.putIfAbsent(e.identity(), e);
    }
    List<Slot> slots = new ArrayList<>();
    for (ObservedSlice slice : existing) {
      Slot slot = new Slot(slice);
      for (SliceEndpoint e : slice.endpoints()) {
        SliceEndpoint now = unplaced.remove(e.identity());
        if (now != null && slot.endpoints.size() < max) {
          slot.endpoints.add(now);
        } else if (now != null) {
          unplaced.put(now.identity(), now); // an overfull slice gives up what does not fit
        }
      }
      slot.changed =
          !slot.endpoints.equals(slice.endpoints()) || !Objects.equals(slice.labels(), labels);
      slots.add(slot);
    }
    List<Slot> order = new ArrayList<>();
    slots.stream().filter(s -> s.changed && !s.endpoints.isEmpty()).forEach(order::add);
    slots.stream().filter(s -> s.endpoints.isEmpty()).forEach(order::add);
    slots.stream().filter(s -> !s.changed && !s.endpoints.isEmpty()).forEach(order::add);
    var rest = unplaced.values().iterator();
    for (Slot slot : order) {
      while (rest.hasNext() && slot.endpoints.size() < max) {
        slot.endpoints.add(rest.next());
        slot.changed = true;
      }
    }
    while (rest.hasNext()) {
      List<SliceEndpoint> chunk = new ArrayList<>();
      while (rest.hasNext() && chunk.size() < max) {
        chunk.add(rest.next());
      }
      creates.add(new Create(shape, List.copyOf(chunk)));
    }
    for (Slot slot : slots) {
      if (slot.endpoints.isEmpty()) {
        deletes.add(slot.observed);
      } else if (slot.changed) {
        updates.add(new Update(slot.observed, List.copyOf(slot.endpoints)));
      }
    }
  }
}
