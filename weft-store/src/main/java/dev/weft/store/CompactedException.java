package dev.weft.store;

/** A read or watch asked for a revision older than the store keeps. */
public class CompactedException extends StoreException {
  private static final long serialVersionUID = 1L;
  private final long compactRevision;

  public CompactedException(long requested, long compactRevision) {
    super("revision " + requested + " has been compacted (oldest kept: " + compactRevision + ")");
    this.compactRevision = compactRevision;
  }

  public long compactRevision() {
    return compactRevision;
  }
}
