package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A virtual machine: one per pod, named {@code C__ns__pod}, UUID = pod UID. {@code virtualRouter}
 * is the vRouter of the node the pod runs on (null until the pod is scheduled): where its
 * interfaces are, and so the next hop of their addresses. Contrail keeps this link on the vRouter
 * ({@code virtual_machine_refs}); Weft keeps it on the machine, so placing a pod writes one object.
 */
public record VirtualMachine(
    UUID uuid, FqName fqName, Ref parent, Map<String, String> annotations, Ref virtualRouter)
    implements ConfigObject {
  public VirtualMachine {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    if (virtualRouter != null && virtualRouter.type() != ObjectType.VIRTUAL_ROUTER) {
      throw new IllegalArgumentException(
          "a virtual machine's virtual_router must reference a virtual-router");
    }
  }

  @Override
  public ObjectType type() {
    return ObjectType.VIRTUAL_MACHINE;
  }

  @Override
  public List<Ref> refs() {
    return virtualRouter == null ? List.of() : List.of(virtualRouter);
  }
}
