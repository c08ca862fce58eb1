package dev.weft.cli;

import java.util.OptionalInt;

/**
 * The value of {@code weft up --listen ADDR[:PORT]}: an address or host name, and maybe a port.
 * IPv6 addresses with a port are bracketed ({@code [::1]:8082}); a bare IPv6 address has none.
 */
record ListenAddress(String host, OptionalInt port) {
  /**
   * @throws IllegalArgumentException saying what was expected
   */
  static ListenAddress parse(String text) {
    String t = text.strip();
    String host;
    String port = null;
    if (t.startsWith("[")) {
      int close = t.indexOf(']');
      if (close < 0) {
        throw invalid(text);
      }
      host = t.substring(1, close);
      String rest = t.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw invalid(text);
        }
        port = rest.substring(1);
      }
    } else if (t.indexOf(':') != t.lastIndexOf(':')) {
      host = t; // a bare IPv6 address
    } else {
      int colon = t.indexOf(':');
      host = colon < 0 ? t : t.substring(0, colon);
      port = colon < 0 ? null : t.substring(colon + 1);
    }
    if (host.isEmpty() || host.chars().anyMatch(Character::isWhitespace)) {
      throw invalid(text);
    }
    if (port == null) {
      return new ListenAddress(host, OptionalInt.empty());
    }
    try {
      int p = Integer.parseInt(port);
      if (p < 0 || p > 65535) {
        throw new NumberFormatException();
      }
      return new ListenAddress(host, OptionalInt.of(p));
    } catch (NumberFormatException e) {
      throw invalid(text);
    }
  }

  /**
   * The port to listen on: this address's, else {@code flagPort} ({@code --port}).
   *
   * @param flagGiven whether {@code --port} was on the command line (a conflict is an error)
   */
  int port(int flagPort, boolean flagGiven) {
    if (port.isEmpty()) {
      return flagPort;
    }
    if (flagGiven && flagPort != port.getAsInt()) {
      throw new IllegalArgumentException(
          "--listen gives port "
              + port.getAsInt()
              + " and --port "
              + flagPort
              + "; give the port once");
    }
    return port.getAsInt();
  }

  private static IllegalArgumentException invalid(String text) {
    return new IllegalArgumentException(
        "--listen "
            + text
            + ": expected ADDR[:PORT], such as 127.0.0.1, 0.0.0.0:8443, [::1]:8082 or ::");
  }
}
