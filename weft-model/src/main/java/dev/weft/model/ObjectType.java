package dev.weft.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Optional;

/**
 * Every kind of object in the config store, with its Contrail REST names ({@code virtual-network},
 * {@code virtual-networks}).
 */
public enum ObjectType {
  PROJECT("project", "projects", Project.class, false),
  NETWORK_IPAM("network-ipam", "network-ipams", NetworkIpam.class, false),
  VIRTUAL_NETWORK("virtual-network", "virtual-networks", VirtualNetwork.class, true),
  VIRTUAL_MACHINE("virtual-machine", "virtual-machines", VirtualMachine.class, false),
  VIRTUAL_MACHINE_INTERFACE(
      "virtual-machine-interface",
      "virtual-machine-interfaces",
      VirtualMachineInterface.class,
      false),
  INSTANCE_IP("instance-ip", "instance-ips", InstanceIp.class, false),
  SECURITY_GROUP("security-group", "security-groups", SecurityGroup.class, false),
  NETWORK_POLICY("network-policy", "network-policys", NetworkPolicy.class, true),
  TAG("tag", "tags", Tag.class, false),
  FIREWALL_POLICY("firewall-policy", "firewall-policys", FirewallPolicy.class, false),
  VIRTUAL_ROUTER("virtual-router", "virtual-routers", VirtualRouter.class, false),
  FLOATING_IP_POOL("floating-ip-pool", "floating-ip-pools", FloatingIpPool.class, true),
  FLOATING_IP("floating-ip", "floating-ips", FloatingIp.class, true),
  LOADBALANCER("loadbalancer", "loadbalancers", Loadbalancer.class, false),
  LOADBALANCER_LISTENER(
      "loadbalancer-listener", "loadbalancer-listeners", LoadbalancerListener.class, false),
  LOADBALANCER_POOL("loadbalancer-pool", "loadbalancer-pools", LoadbalancerPool.class, false),
  LOADBALANCER_MEMBER(
      "loadbalancer-member", "loadbalancer-members", LoadbalancerMember.class, false);

  private final String singular;
  private final String plural;
  private final Class<? extends ConfigObject> recordClass;
  private final boolean userCreatable;

  ObjectType(
      String singular,
      String plural,
      Class<? extends ConfigObject> recordClass,
      boolean userCreatable) {
    this.singular = singular;
    this.plural = plural;
    this.recordClass = recordClass;
    this.userCreatable = userCreatable;
  }

  /** REST and store name of one object: {@code virtual-network}. */
  @JsonValue
  public String singular() {
    return singular;
  }

  /** REST name of the collection: {@code virtual-networks}. */
  public String plural() {
    return plural;
  }

  public Class<? extends ConfigObject> recordClass() {
    return recordClass;
  }

  /** Whether users may create, update and delete objects of this type through the config API. */
  public boolean userCreatable() {
    return userCreatable;
  }

  @JsonCreator
  public static ObjectType fromSingular(String name) {
    return bySingular(name)
        .orElseThrow(() -> new IllegalArgumentException("unknown object type \"" + name + "\""));
  }

  public static Optional<ObjectType> bySingular(String name) {
    return Arrays.stream(values()).filter(t -> t.singular.equals(name)).findFirst();
  }

  /**
   * Finds a type by its collection name; also accepts the plurals people type ({@code
   * network-policies}) and the singular.
   */
  public static Optional<ObjectType> byPlural(String name) {
    return Arrays.stream(values())
        .filter(
            t ->
                t.plural.equals(name)
                    || t.singular.equals(name)
                    || (t.singular.endsWith("y")
                        && name.equals(t.singular.substring(0, t.singular.length() - 1) + "ies")))
        .findFirst();
  }
}
