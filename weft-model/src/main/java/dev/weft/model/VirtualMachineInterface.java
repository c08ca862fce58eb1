package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * A pod's interface: in a virtual network, with a MAC, security groups and tags.
 *
 * @param labels the pod's labels, its tags in the pod-label tag space (namespace labels are the
 *     project's tags: a separate space, so a namespace label never masks a pod label)
 * @param ports the ports the pod's containers declare, which named ports of policies resolve to
 */
public record VirtualMachineInterface(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    Ref virtualMachine,
    Ref virtualNetwork,
    String macAddress,
    List<Ref> securityGroups,
    List<Ref> tags,
    Map<String, String> labels,
    List<ContainerPort> ports)
    implements ConfigObject {
  public VirtualMachineInterface {
    Values.require(uuid, fqName);
    annotations = Values.annotations(annotations);
    Objects.requireNonNull(virtualNetwork, "virtual_network");
    if (macAddress == null || !macAddress.matches("([0-9a-f]{2}:){5}[0-9a-f]{2}")) {
      throw new IllegalArgumentException("bad MAC address \"" + macAddress + "\"");
    }
    securityGroups = Values.list(securityGroups);
    tags = Values.list(tags);
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    ports = Values.list(ports);
  }

  /** An interface without labels or declared ports. */
  public VirtualMachineInterface(
      UUID uuid,
      FqName fqName,
      Ref parent,
      Map<String, String> annotations,
      Ref virtualMachine,
      Ref virtualNetwork,
      String macAddress,
      List<Ref> securityGroups,
      List<Ref> tags) {
    this(
        uuid,
        fqName,
        parent,
        annotations,
        virtualMachine,
        virtualNetwork,
        macAddress,
        securityGroups,
        tags,
        Map.of(),
        List.of());
  }

  @Override
  public ObjectType type() {
    return ObjectType.VIRTUAL_MACHINE_INTERFACE;
  }

  @Override
  public List<Ref> refs() {
    return Values.refs(virtualMachine, virtualNetwork, securityGroups, tags);
  }
}
