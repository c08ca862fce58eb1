package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/** The pool behind a listener; its members are the backends. */
public record LoadbalancerPool(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    Ref listener,
    Protocol protocol,
    String method)
    implements ConfigObject {
  public LoadbalancerPool {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    Objects.requireNonNull(listener, "listener");
    method = method == null ? "ecmp" : method;
  }

  @Override
  public ObjectType type() {
    return ObjectType.LOADBALANCER_POOL;
  }

  @Override
  public List<Ref> refs() {
    return List.of(listener);
  }
}
