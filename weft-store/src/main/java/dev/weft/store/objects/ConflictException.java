package dev.weft.store.objects;

/**
 * A transaction's guard failed: an object changed or appeared since it was read, an FQ name is
 * taken, or an address was reserved by someone else. Re-read and retry.
 */
public class ConflictException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConflictException(String message) {
    super(message);
  }
}
