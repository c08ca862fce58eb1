package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/** A pod's interface: in a virtual network, with a MAC, security groups and tags. */
public record VirtualMachineInterface(
    UUID uuid,
    FqName fqName,
    Ref parent,
    Map<String, String> annotations,
    Ref virtualMachine,
    Ref virtualNetwork,
    String macAddress,
    List<Ref> securityGroups,
    List<Ref> tags)
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
