package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A project (tenant): one per Kubernetes namespace, {@code [default-domain, C-ns]}.
 *
 * @param labels the namespace's labels: its tags in the namespace-label tag space, which namespace
 *     selectors of policies match
 */
public record Project(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    Map<String, String> labels)
    implements ConfigObject {
  public Project {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  /** A project without labels. */
  public Project(UUID uuid, FqName fqName, Ref parent, Map<String, String> annotations) {
    this(uuid, fqName, parent, annotations, Map.of());
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
