package dev.weft.kube.translate;

import dev.weft.kube.ClusterConfig;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.IpPrefix;
import dev.weft.model.Names;
import dev.weft.model.NetworkIpam;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.ObjectType;
import dev.weft.model.Owner;
import dev.weft.model.Project;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import dev.weft.model.SecurityGroup;
import dev.weft.model.SecurityGroupRule;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Objects for one namespace: its project (except for the cluster's own {@code default} and {@code
 * kube-system}, whose projects the cluster owns), its default security group, and when isolated its
 * own pod and service networks (sharing the flat pod and service subnets) joined by {@code
 * C-ns-pod-service-np}. The project carries the namespace's labels, its tags in the namespace-label
 * tag space, which namespace selectors of network policies match.
 */
public final class NamespaceObjects {
  /** Project annotations recording the namespace's isolation, for the service work. */
  public static final String ISOLATED = "isolated";

  public static final String SERVICE_ISOLATED = "service_isolated";

  private NamespaceObjects() {}

  public static String key(String namespace) {
    return "Namespace/" + namespace;
  }

  /**
   * The label the API server keeps on every namespace, equal to its name (Kubernetes 1.21+), which
   * policies commonly select namespaces by.
   */
  public static final String NAME_LABEL = "kubernetes.io/metadata.name";

  /** The namespaces whose projects are created with the cluster, which carries their labels. */
  public static final List<String> CLUSTER_NAMESPACES = List.of("default", "kube-system");

  /** True for namespaces whose project is created with the cluster. */
  public static boolean clusterOwnsProject(String namespace) {
    return CLUSTER_NAMESPACES.contains(namespace);
  }

  /**
   * A namespace's tags: its labels, with {@value #NAME_LABEL} set to its name. The API server
   * enforces that label on every write, so this is what any namespace of a real cluster carries;
   * setting it here too keeps namespace selectors on it steady where the API server's stand-in (or
   * an old server) briefly or never shows it, rather than flapping the project's tags.
   */
  public static Map<String, String> tags(String namespace, Map<String, String> labels) {
    if (namespace.equals(labels.get(NAME_LABEL))) {
      return labels;
    }
    Map<String, String> out = new LinkedHashMap<>(labels);
    out.put(NAME_LABEL, namespace);
    return out;
  }

  /**
   * @throws InputException when the namespace's annotations are malformed or ask for something
   *     impossible (isolating {@code default}, whose networks are the cluster's default ones)
   */
  public static List<ConfigObject> desired(ClusterConfig config, NamespaceInfo ns) {
    NamespaceSettings settings = NamespaceSettings.of(ns);
    if (settings.isolated() && ns.name().equals("default")) {
      throw new InputException(
          "InvalidAnnotation",
          "namespace \"default\": annotation "
              + KubeAnnotations.ISOLATION
              + ": the default namespace cannot be isolated, its networks are the cluster's"
              + " default networks; isolate another namespace instead");
    }
    String c = config.name();
    Owner owner = Owner.namespace(c, ns.name(), ns.uid());
    Map<String, String> own = owner.annotations();
    List<ConfigObject> out = new ArrayList<>();
    FqName projectFq = Names.projectFq(c, ns.name());
    Ref projectRef;
    if (clusterOwnsProject(ns.name())) {
      projectRef = ClusterObjects.ref(ObjectType.PROJECT, projectFq);
    } else {
      Map<String, String> projectAnnotations = new LinkedHashMap<>(own);
      projectAnnotations.put(ISOLATED, Boolean.toString(settings.isolated()));
      projectAnnotations.put(SERVICE_ISOLATED, Boolean.toString(settings.serviceIsolated()));
      Project project =
          new Project(
              Uuids.fromUid(ns.uid()),
              projectFq,
              null,
              projectAnnotations,
              tags(ns.name(), ns.labels()));
      projectRef = Ref.to(project);
      out.add(project);
    }
    FqName sgFq = Names.defaultSecurityGroup(c, ns.name());
    out.add(
        new SecurityGroup(
            Uuids.of("security-group", ns.uid(), sgFq.toString()),
            sgFq,
            projectRef,
            own,
            defaultRules()));
    if (settings.isolated()) {
      NetworkIpam podIpam = ipamStub(Names.podIpam(c));
      NetworkIpam serviceIpam = ipamStub(Names.serviceIpam(c));
      Project parent = new Project(projectRef.uuid(), projectFq, null, Map.of());
      FqName podNet = Names.podNetwork(c, ns.name());
      FqName serviceNet = Names.serviceNetwork(c, ns.name());
      NetworkPolicy policy =
          ClusterObjects.namespacePolicy(
              config, ns.name(), parent, !settings.serviceIsolated(), own);
      Map<String, String> serviceAnnotations = new LinkedHashMap<>(own);
      serviceAnnotations.put(SERVICE_ISOLATED, Boolean.toString(settings.serviceIsolated()));
      out.add(ClusterObjects.network(podNet, parent, podIpam, policy, own));
      out.add(ClusterObjects.network(serviceNet, parent, serviceIpam, policy, serviceAnnotations));
      out.add(policy);
    }
    return out;
  }

  /** The cluster's IPAMs are referenced by name-derived UUID; only the reference is needed. */
  private static NetworkIpam ipamStub(FqName fq) {
    return new NetworkIpam(
        Uuids.of("network-ipam", fq.toString()), fq, null, Map.of(), List.<IpPrefix>of());
  }

  /** A namespace's default group admits everything; Kubernetes NetworkPolicy narrows it. */
  private static List<SecurityGroupRule> defaultRules() {
    return List.of(
        new SecurityGroupRule("ingress", Protocol.ANY, null, IpPrefix.parse("0.0.0.0/0")),
        new SecurityGroupRule("ingress", Protocol.ANY, null, IpPrefix.parse("::/0")),
        new SecurityGroupRule("egress", Protocol.ANY, null, IpPrefix.parse("0.0.0.0/0")),
        new SecurityGroupRule("egress", Protocol.ANY, null, IpPrefix.parse("::/0")));
  }
}
