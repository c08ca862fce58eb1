package dev.weft.store;

import java.util.List;

/** Keys read at one revision, sorted by key; watch from {@code revision + 1} to follow them. */
public record RangeResult(List<KeyValue> kvs, long revision) {}
