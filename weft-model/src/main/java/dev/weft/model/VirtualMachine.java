package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** A virtual machine: one per pod, named {@code C__ns__pod}, UUID = pod UID. */
public record VirtualMachine(UUID uuid, FqName fqName, Ref parent, Map<String, String> annotations)
    implements ConfigObject {
  public VirtualMachine {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
  }

  @Override
  public ObjectType type() {
    return ObjectType.VIRTUAL_MACHINE;
  }

  @Override
  public List<Ref> refs() {
    return List.of();
  }
}
