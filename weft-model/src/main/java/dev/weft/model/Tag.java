package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/** A tag {@code type=value}; Kubernetes labels become tags. */
public record Tag(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    String tagType,
    String tagValue)
    implements ConfigObject {
  public Tag {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    Objects.requireNonNull(tagType, "tag_type");
    tagValue = tagValue == null ? "" : tagValue;
  }

  @Override
  public ObjectType type() {
    return ObjectType.TAG;
  }

  @Override
  public List<Ref> refs() {
    return List.of();
  }
}
