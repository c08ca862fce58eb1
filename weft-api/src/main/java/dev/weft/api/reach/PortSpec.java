package dev.weft.api.reach;

import dev.weft.model.Protocol;
import java.util.Locale;

/** A port as the CLI writes it: {@code 80/TCP}, {@code 53/udp}, {@code 8080} (TCP). */
public record PortSpec(int port, Protocol protocol) {
  public PortSpec {
    if (protocol == Protocol.ANY) {
      throw new IllegalArgumentException("a probed port has one protocol, not any");
    }
    if (protocol != Protocol.ICMP && (port < 1 || port > 65535)) {
      throw new IllegalArgumentException("port " + port + " is outside 1-65535");
    }
  }

  public static PortSpec parse(String text) {
    String t = text.trim();
    int slash = t.indexOf('/');
    String number = slash < 0 ? t : t.substring(0, slash);
    String proto = slash < 0 ? "TCP" : t.substring(slash + 1).trim();
    Protocol protocol;
    switch (proto.toUpperCase(Locale.ROOT)) {
      case "TCP" -> protocol = Protocol.TCP;
      case "UDP" -> protocol = Protocol.UDP;
      case "SCTP" -> protocol = Protocol.SCTP;
      default ->
          throw new IllegalArgumentException(
              "\"" + text + "\": the protocol must be TCP, UDP or SCTP, as in 80/TCP");
    }
    try {
      return new PortSpec(Integer.parseInt(number.trim()), protocol);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "\"" + text + "\" is not a port such as 80/TCP, 53/UDP or 8080");
    }
  }

  @Override
  public String toString() {
    return port + "/" + protocol.name();
  }
}
