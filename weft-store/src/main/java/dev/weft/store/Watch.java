package dev.weft.store;

/** A running watch; closing it stops the callbacks. */
public interface Watch extends AutoCloseable {
  @Override
  void close();
}
