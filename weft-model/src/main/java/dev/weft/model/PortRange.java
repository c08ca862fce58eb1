package dev.weft.model;

/** An inclusive port range; {@code 0-65535} matches every port. */
public record PortRange(int start, int end) {
  public static final PortRange ANY = new PortRange(0, 65535);

  public PortRange {
    if (start < 0 || end > 65535 || start > end) {
      throw new IllegalArgumentException(
          "port range " + start + "-" + end + " must lie within 0-65535 with start <= end");
    }
  }

  public static PortRange of(int port) {
    return new PortRange(port, port);
  }

  public boolean contains(int port) {
    return port >= start && port <= end;
  }

  @Override
  public String toString() {
    return start == end ? Integer.toString(start) : start + "-" + end;
  }
}
