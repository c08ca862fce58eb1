package dev.weft.model;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * An object of the config store. Every one has a UUID, an FQ name, an optional parent, the
 * annotations that record who owns it, and typed references to other objects.
 */
public sealed interface ConfigObject
    permits Project,
        NetworkIpam,
        VirtualNetwork,
        VirtualMachine,
        VirtualMachineInterface,
        InstanceIp,
        SecurityGroup,
        FirewallPolicy,
        NetworkPolicy,
        Tag,
        VirtualRouter,
        FloatingIpPool,
        FloatingIp,
        Loadbalancer,
        LoadbalancerListener,
        LoadbalancerPool,
        LoadbalancerMember {

  UUID uuid();

  FqName fqName();

  /** The parent object, or null for top-level objects (projects, VMs, instance IPs, tags). */
  Ref parent();

  /** Key/value annotations; Weft's own objects carry the {@link Owner} keys. */
  Map<String, String> annotations();

  ObjectType type();

  /** Every reference this object holds (parent excluded), for back-reference indexes. */
  List<Ref> refs();

  /** Owner of this object when Weft derived it from Kubernetes; empty for user objects. */
  default java.util.Optional<Owner> owner() {
    return Owner.from(annotations());
  }
}
