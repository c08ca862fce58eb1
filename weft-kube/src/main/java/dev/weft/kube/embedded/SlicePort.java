package dev.weft.kube.embedded;

import java.util.Comparator;

/**
 * One port of an EndpointSlice, as Weft's stand-ins compare them.
 *
 * @param name the service port's name, {@code ""} when it has none
 * @param protocol {@code TCP}, {@code UDP} or {@code SCTP}
 * @param port the port on the endpoints (the service's resolved target port)
 * @param appProtocol the service port's application protocol, or null
 */
record SlicePort(String name, String protocol, int port, String appProtocol) {
  static final Comparator<SlicePort> ORDER =
      Comparator.comparing(SlicePort::name)
          .thenComparing(SlicePort::protocol)
          .thenComparingInt(SlicePort::port)
          .thenComparing(SlicePort::appProtocol, Comparator.nullsFirst(Comparator.naturalOrder()));

  SlicePort {
    name = name == null ? "" : name;
    protocol = protocol == null ? "TCP" : protocol;
  }
}
