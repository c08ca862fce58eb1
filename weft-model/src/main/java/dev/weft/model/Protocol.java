package dev.weft.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** IP protocol matched by a rule; {@code ANY} matches every protocol. */
public enum Protocol {
  ANY,
  TCP,
  UDP,
  SCTP,
  ICMP;

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static Protocol parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("protocol is missing");
    }
    return switch (text.trim().toLowerCase(Locale.ROOT)) {
      case "any" -> ANY;
      case "tcp", "6" -> TCP;
      case "udp", "17" -> UDP;
      case "sctp", "132" -> SCTP;
      case "icmp", "1" -> ICMP;
      default ->
          throw new IllegalArgumentException(
              "protocol \"" + text + "\" is not one of any, tcp, udp, sctp, icmp");
    };
  }

  public boolean matches(Protocol actual) {
    return this == ANY || this == actual;
  }
}
