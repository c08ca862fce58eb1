package dev.weft.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Objects;
import java.util.UUID;

/** A typed reference to another object, by UUID, with its FQ name for people to read. */
public record Ref(
    @JsonProperty("type") ObjectType type,
    @JsonProperty("uuid") UUID uuid,
    @JsonProperty("to") FqName to) {

  public Ref {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(uuid, "uuid");
    Objects.requireNonNull(to, "to");
  }

  public static Ref to(ConfigObject object) {
    return new Ref(object.type(), object.uuid(), object.fqName());
  }
}
