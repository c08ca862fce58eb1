package dev.weft.api.apply;

import dev.weft.api.config.ApiException;
import dev.weft.model.ObjectType;
import java.util.Arrays;

/** The kinds of {@code apiVersion: weft/v1} documents and the object type each one becomes. */
public enum Kind {
  VIRTUAL_NETWORK("VirtualNetwork", ObjectType.VIRTUAL_NETWORK),
  NETWORK_POLICY("NetworkPolicy", ObjectType.NETWORK_POLICY),
  FLOATING_IP_POOL("FloatingIpPool", ObjectType.FLOATING_IP_POOL);

  private final String wire;
  private final ObjectType type;

  Kind(String wire, ObjectType type) {
    this.wire = wire;
    this.type = type;
  }

  /** As written in documents: {@code VirtualNetwork}. */
  public String wire() {
    return wire;
  }

  public ObjectType type() {
    return type;
  }

  /** Parses a document's {@code kind}; 400 listing the kinds when unknown. */
  public static Kind parse(String text) {
    return Arrays.stream(values())
        .filter(k -> k.wire.equals(text))
        .findFirst()
        .orElseThrow(
            () ->
                ApiException.badRequest(
                    "kind \""
                        + text
                        + "\" is not a Weft kind; weft/v1 kinds are "
                        + String.join(", ", Arrays.stream(values()).map(Kind::wire).toList())));
  }
}
