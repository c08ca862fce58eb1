package dev.weft.dataplane;

/**
 * Something that forwards packets as Weft's compiled state says: the in-process {@link
 * ForwardingModel}, or (later) the Linux dataplane. Both must give the same verdict for the same
 * packet.
 */
public interface Dataplane {
  /** {@code model} or {@code linux}. */
  String name();

  /**
   * A flow table of its own: flows a session lets through are remembered, so that their replies
   * pass, as the vRouter's flow pairs do; another session does not see them.
   */
  Session open();

  interface Session extends AutoCloseable {
    /** Sends {@code packet} and reports what happened to it, with every step. */
    Verdict send(Packet packet);

    @Override
    void close();
  }
}
