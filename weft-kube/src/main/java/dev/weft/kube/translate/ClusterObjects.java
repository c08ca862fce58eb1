package dev.weft.kube.translate;

import dev.weft.kube.ClusterConfig;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.IpamLink;
import dev.weft.model.Names;
import dev.weft.model.NetworkIpam;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.PolicyLink;
import dev.weft.model.PolicyRule;
import dev.weft.model.Project;
import dev.weft.model.Ref;
import dev.weft.model.VirtualNetwork;
import java.util.List;
import java.util.Map;

/**
 * The objects that exist for the cluster itself: projects {@code C-default} and {@code
 * C-kube-system}, the pod, service and IP-fabric IPAMs, the default pod and service networks and
 * the policy joining them; plus Contrail's {@code default-project} with its {@code
 * default-network-ipam}, which user networks link their own subnets to.
 */
public final class ClusterObjects {
  public static final FqName DEFAULT_PROJECT = FqName.of(Names.DEFAULT_DOMAIN, "default-project");
  public static final FqName DEFAULT_IPAM = DEFAULT_PROJECT.child("default-network-ipam");

  private ClusterObjects() {}

  public static String key() {
    return "Cluster/cluster";
  }

  public static List<ConfigObject> desired(ClusterConfig config) {
    return desired(config, List.of());
  }

  /**
   * An isolated namespace, as the cluster's own networks see it: its policy joins its pod network
   * to the default service network (its pods reach non-isolated services), and, when its services
   * are open ({@code opencontrail.org/isolation.service: "false"}), its service network to the
   * default pod network. Those links sit on the cluster's networks, so the cluster derives them.
   */
  public record IsolatedNamespace(String name, boolean servicesOpen) {}

  /**
   * @param isolated the isolated namespaces, whose policies the default pod and service networks
   *     are attached to (see {@link IsolatedNamespace})
   */
  public static List<ConfigObject> desired(ClusterConfig config, List<IsolatedNamespace> isolated) {
    return desired(config, isolated, Map.of());
  }

  /**
   * @param isolated the isolated namespaces, whose policies the default pod and service networks
   *     are attached to (see {@link IsolatedNamespace})
   * @param namespaceLabels the labels of the {@code default} and {@code kube-system} namespaces, by
   *     name: their projects are the cluster's, so the cluster carries their tags ({@link
   *     NamespaceObjects#tags})
   */
  public static List<ConfigObject> desired(
      ClusterConfig config,
      List<IsolatedNamespace> isolated,
      Map<String, Map<String, String>> namespaceLabels) {
    String c = config.name();
    Map<String, String> own = new Owner(c, "Cluster", "", "cluster", "").annotations();
    Project defaultNs =
        project(
            Names.projectFq(c, "default"),
            own,
            NamespaceObjects.tags("default", namespaceLabels.getOrDefault("default", Map.of())));
    Project kubeSystem =
        project(
            Names.projectFq(c, "kube-system"),
            own,
            NamespaceObjects.tags(
                "kube-system", namespaceLabels.getOrDefault("kube-system", Map.of())));
    Project defaultProject = project(DEFAULT_PROJECT, own);
    NetworkIpam podIpam = ipam(Names.podIpam(c), defaultNs, config.podSubnets(), own);
    NetworkIpam serviceIpam = ipam(Names.serviceIpam(c), defaultNs, config.serviceSubnets(), own);
    NetworkIpam fabricIpam = ipam(Names.fabricIpam(c), defaultNs, config.fabricSubnets(), own);
    NetworkIpam defaultIpam = ipam(DEFAULT_IPAM, defaultProject, List.of(), own);
    FqName podNet = Names.podNetwork(c, "default");
    FqName serviceNet = Names.serviceNetwork(c, "default");
    NetworkPolicy policy =
        policy(Names.podServicePolicy(c, "default"), defaultNs, podNet, serviceNet, own);
    return List.of(
        defaultNs,
        kubeSystem,
        defaultProject,
        podIpam,
        serviceIpam,
        fabricIpam,
        defaultIpam,
        withLinks(
            network(podNet, defaultNs, podIpam, policy, own),
            isolated.stream()
                .filter(IsolatedNamespace::servicesOpen)
                .map(n -> Names.podServicePolicy(c, n.name()))
                .toList()),
        withLinks(
            network(serviceNet, defaultNs, serviceIpam, policy, own),
            isolated.stream().map(n -> Names.podServicePolicy(c, n.name())).toList()),
        policy);
  }

  static Project project(FqName fq, Map<String, String> annotations) {
    return project(fq, annotations, Map.of());
  }

  static Project project(FqName fq, Map<String, String> annotations, Map<String, String> labels) {
    return new Project(Uuids.of("project", fq.toString()), fq, null, annotations, labels);
  }

  static NetworkIpam ipam(
      FqName fq, Project parent, List<dev.weft.model.IpPrefix> subnets, Map<String, String> own) {
    return new NetworkIpam(
        Uuids.of("network-ipam", fq.toString()), fq, Ref.to(parent), own, subnets);
  }

  /** A network allocating from an IPAM's flat subnets, joined to others by {@code policy}. */
  static VirtualNetwork network(
      FqName fq, Project parent, NetworkIpam ipam, NetworkPolicy policy, Map<String, String> own) {
    return new VirtualNetwork(
        Uuids.of("virtual-network", fq.toString()),
        fq,
        Ref.to(parent),
        own,
        List.of(new IpamLink(Ref.to(ipam), List.of())),
        List.of(),
        List.of(new PolicyLink(Ref.to(policy), 0)));
  }

  /** {@code network} also attached to {@code policies} (sorted by name, after its own). */
  private static VirtualNetwork withLinks(VirtualNetwork network, List<FqName> policies) {
    if (policies.isEmpty()) {
      return network;
    }
    List<PolicyLink> links = new java.util.ArrayList<>(network.networkPolicyRefs());
    policies.stream()
        .sorted()
        .forEach(p -> links.add(new PolicyLink(ref(ObjectType.NETWORK_POLICY, p), 0)));
    return network.withPolicies(links);
  }

  /**
   * An isolated namespace's policy: its pod and service networks joined; its pods to the default
   * service network (non-isolated services are reachable from everywhere); and, with {@code
   * servicesOpen}, the default pod network to its service network.
   */
  static NetworkPolicy namespacePolicy(
      ClusterConfig config,
      String namespace,
      Project parent,
      boolean servicesOpen,
      Map<String, String> own) {
    String c = config.name();
    FqName fq = Names.podServicePolicy(c, namespace);
    FqName podNet = Names.podNetwork(c, namespace);
    FqName serviceNet = Names.serviceNetwork(c, namespace);
    List<PolicyRule> rules = new java.util.ArrayList<>();
    rules.add(PolicyRule.passBetween(podNet, serviceNet));
    rules.add(PolicyRule.passBetween(podNet, Names.serviceNetwork(c, "default")));
    if (servicesOpen) {
      rules.add(PolicyRule.passBetween(Names.podNetwork(c, "default"), serviceNet));
    }
    return new NetworkPolicy(
        Uuids.of("network-policy", fq.toString()), fq, Ref.to(parent), own, rules);
  }

  static NetworkPolicy policy(
      FqName fq, Project parent, FqName podNet, FqName serviceNet, Map<String, String> own) {
    return new NetworkPolicy(
        Uuids.of("network-policy", fq.toString()),
        fq,
        Ref.to(parent),
        own,
        List.of(PolicyRule.passBetween(podNet, serviceNet)));
  }

  static Ref ref(ObjectType type, FqName fq) {
    return new Ref(type, Uuids.of(type.singular(), fq.toString()), fq);
  }
}
