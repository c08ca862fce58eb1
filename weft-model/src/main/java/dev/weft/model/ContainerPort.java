package dev.weft.model;

import java.util.Objects;

/**
 * A port a pod's container declares: what a named port of a network policy resolves to on that pod.
 *
 * @param name empty when unnamed
 */
public record ContainerPort(String name, Protocol protocol, int port) {
  public ContainerPort {
    name = name == null ? "" : name;
    Objects.requireNonNull(protocol, "protocol");
    PortRange.of(port);
  }
}
