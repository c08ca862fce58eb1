package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A project (tenant): one per Kubernetes namespace, {@code [default-domain, C-ns]}. */
public record Project(UUID uuid, FqName fqName, Ref parent, Map<String, String> annotations)
    implements ConfigObject {
  public Project {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
  }

  @Override
  public ObjectType type() {
    return ObjectType.PROJECT;
  }

  @Override
  public List<Ref> refs() {
    return List.of();
  }
}
