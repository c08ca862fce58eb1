package dev.weft.control.policy;

import dev.weft.model.ConfigObject;
import dev.weft.model.FirewallPolicy;
import dev.weft.model.Names;
import dev.weft.model.Owner;
import dev.weft.model.Project;
import dev.weft.model.VirtualMachineInterface;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Feeds a {@link PolicyEngine} from store objects: firewall policies as they are; a pod's interface
 * (owner kind {@code Pod}) as the pod's labels and declared ports; a project as its namespace's
 * labels. Other interfaces and projects are none of NetworkPolicy's business.
 *
 * <p>A project belongs to a namespace by its owner annotations: kind {@code Namespace}, named after
 * it; or, for {@code default} and {@code kube-system}, whose projects ({@code C-default}, {@code
 * C-kube-system}) the cluster creates, kind {@code Cluster} and that FQ name. Should two projects
 * claim one namespace, the first by UUID gives its labels, whatever order they came in.
 */
public final class PolicyInputs {
  private static final String[] CLUSTER_NAMESPACES = {"default", "kube-system"};

  private final PolicyEngine engine;
  private final Map<UUID, Project> projects = new HashMap<>();
  private final Map<UUID, FirewallPolicy> policies = new HashMap<>();
  private final Map<String, TreeMap<UUID, Map<String, String>>> claims = new HashMap<>();

  public PolicyInputs(PolicyEngine engine) {
    this.engine = engine;
  }

  /**
   * Takes one change told by the object cache. Objects of other types are ignored.
   *
   * @param before the object as it was, or null when created
   * @param after the object as it is, or null when deleted
   */
  public void change(ConfigObject before, ConfigObject after) {
    ConfigObject any = after != null ? after : before;
    switch (any.type()) {
      case PROJECT -> project((Project) before, (Project) after);
      case FIREWALL_POLICY -> {
        if (after == null) {
          policies.remove(before.uuid());
          engine.removePolicy(before.uuid());
        } else {
          policies.put(after.uuid(), (FirewallPolicy) after);
          engine.putPolicy((FirewallPolicy) after);
        }
      }
      case VIRTUAL_MACHINE_INTERFACE ->
          vmi((VirtualMachineInterface) before, (VirtualMachineInterface) after);
      default -> {}
    }
  }

  /**
   * The project or firewall policy last told with {@code o}'s UUID, or null (interfaces are the
   * caller's to know).
   */
  public ConfigObject known(ConfigObject o) {
    return switch (o.type()) {
      case PROJECT -> projects.get(o.uuid());
      case FIREWALL_POLICY -> policies.get(o.uuid());
      default -> null;
    };
  }

  private void vmi(VirtualMachineInterface before, VirtualMachineInterface after) {
    if (after != null && "Pod".equals(after.annotations().get(Owner.KIND))) {
      Map<String, String> a = after.annotations();
      engine.putPod(
          after.uuid(),
          a.getOrDefault(Owner.NAMESPACE, ""),
          a.getOrDefault(Owner.NAME, ""),
          after.labels(),
          after.ports());
    } else if (before != null) {
      engine.removePod(before.uuid());
    }
  }

  private void project(Project before, Project after) {
    UUID uuid = after != null ? after.uuid() : before.uuid();
    String was = before == null ? null : namespaceOf(before);
    String now = after == null ? null : namespaceOf(after);
    if (after == null) {
      projects.remove(uuid);
    } else {
      projects.put(uuid, after);
    }
    if (was != null && !was.equals(now)) {
      TreeMap<UUID, Map<String, String>> claimants = claims.get(was);
      if (claimants != null && claimants.remove(uuid) != null) {
        if (claimants.isEmpty()) {
          claims.remove(was);
          engine.removeNamespace(was);
        } else {
          engine.putNamespace(was, claimants.firstEntry().getValue());
        }
      }
    }
    if (now != null) {
      TreeMap<UUID, Map<String, String>> claimants =
          claims.computeIfAbsent(now, k -> new TreeMap<>());
      claimants.put(uuid, after.labels());
      engine.putNamespace(now, claimants.firstEntry().getValue());
    }
  }

  /** The namespace whose project {@code p} is, or null. */
  static String namespaceOf(Project p) {
    Owner owner = p.owner().orElse(null);
    if (owner == null) {
      return null;
    }
    if (owner.kind().equals("Namespace")) {
      return owner.name();
    }
    if (owner.kind().equals("Cluster")) {
      for (String ns : CLUSTER_NAMESPACES) {
        if (p.fqName().equals(Names.projectFq(owner.cluster(), ns))) {
          return ns;
        }
      }
    }
    return null;
  }
}
