package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A security group applied to interfaces; each namespace has a default one. */
public record SecurityGroup(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    List<SecurityGroupRule> rules)
    implements ConfigObject {
  public SecurityGroup {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    rules = Values.list(rules);
  }

  @Override
  public ObjectType type() {
    return ObjectType.SECURITY_GROUP;
  }

  @Override
  public List<Ref> refs() {
    return List.of();
  }
}
