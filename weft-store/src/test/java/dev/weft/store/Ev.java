package dev.weft.store;

import java.util.List;

/** A {@link WatchEvent} with value equality, for assertions. */
public record Ev(WatchEvent.Type type, Kv kv, Kv prev) {
  public static Ev of(WatchEvent event) {
    return new Ev(event.type(), Kv.of(event.kv()), Kv.of(event.prevKv()));
  }

  public static List<Ev> of(List<WatchEvent> events) {
    return events.stream().map(Ev::of).toList();
  }

  public long revision() {
    return kv.mod();
  }
}
