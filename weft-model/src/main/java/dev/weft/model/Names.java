package dev.weft.model;

/**
 * How Weft names the objects it derives from Kubernetes (Contrail's naming, as its users know it).
 *
 * <p>{@code C} is the cluster name ({@code k8s} unless configured).
 */
public final class Names {
  public static final String DEFAULT_DOMAIN = "default-domain";
  public static final String DEFAULT_CLUSTER = "k8s";

  private Names() {}

  static void requireValidPart(String part) {
    if (part == null || part.isEmpty()) {
      throw new IllegalArgumentException("an FQ name part must not be empty");
    }
    if (part.indexOf(':') >= 0 || part.indexOf('/') >= 0) {
      throw new IllegalArgumentException(
          "an FQ name part must not contain ':' or '/': \"" + part + "\"");
    }
    if (part.length() > 253) {
      throw new IllegalArgumentException("an FQ name part is longer than 253 characters");
    }
    for (int i = 0; i < part.length(); i++) {
      if (Character.isISOControl(part.charAt(i)) || Character.isWhitespace(part.charAt(i))) {
        throw new IllegalArgumentException(
            "an FQ name part must not contain whitespace or control characters: \"" + part + "\"");
      }
    }
  }

  /** Validates a cluster name: lower-case DNS label characters. */
  public static String requireClusterName(String cluster) {
    if (cluster == null || !cluster.matches("[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?")) {
      throw new IllegalArgumentException(
          "cluster name must be 1-32 lower-case letters, digits or '-', found \"" + cluster + "\"");
    }
    return cluster;
  }

  public static String project(String cluster, String namespace) {
    return cluster + "-" + namespace;
  }

  public static FqName projectFq(String cluster, String namespace) {
    return FqName.of(DEFAULT_DOMAIN, project(cluster, namespace));
  }

  public static FqName podIpam(String cluster) {
    return FqName.of(DEFAULT_DOMAIN, project(cluster, "default"), cluster + "-pod-ipam");
  }

  public static FqName serviceIpam(String cluster) {
    return FqName.of(DEFAULT_DOMAIN, project(cluster, "default"), cluster + "-service-ipam");
  }

  public static FqName fabricIpam(String cluster) {
    return FqName.of(DEFAULT_DOMAIN, project(cluster, "default"), cluster + "-ip-fabric-ipam");
  }

  /** {@code C-ns-pod-network} in project {@code C-ns}; {@code ns=default} gives the default one. */
  public static FqName podNetwork(String cluster, String namespace) {
    return FqName.of(
        DEFAULT_DOMAIN, project(cluster, namespace), cluster + "-" + namespace + "-pod-network");
  }

  public static FqName serviceNetwork(String cluster, String namespace) {
    return FqName.of(
        DEFAULT_DOMAIN,
        project(cluster, namespace),
        cluster + "-" + namespace + "-service-network");
  }

  /** The policy joining a pod network and a service network: {@code C-ns-pod-service-np}. */
  public static FqName podServicePolicy(String cluster, String namespace) {
    return FqName.of(
        DEFAULT_DOMAIN, project(cluster, namespace), cluster + "-" + namespace + "-pod-service-np");
  }

  public static FqName defaultSecurityGroup(String cluster, String namespace) {
    return FqName.of(
        DEFAULT_DOMAIN, project(cluster, namespace), cluster + "-" + namespace + "-default-sg");
  }

  /** A node's vRouter: {@code [default-global-system-config, NODE]}. */
  public static FqName virtualRouter(String node) {
    return FqName.of("default-global-system-config", node);
  }

  /** Virtual machine for pod {@code p} of namespace {@code ns}: {@code C__ns__p}. */
  public static FqName virtualMachine(String cluster, String namespace, String pod) {
    return FqName.of(cluster + "__" + namespace + "__" + pod);
  }

  public static FqName podInterface(String cluster, String namespace, String pod) {
    return FqName.of(
        DEFAULT_DOMAIN, project(cluster, namespace), cluster + "__" + namespace + "__" + pod);
  }

  /** Load balancer of service {@code svc}: {@code [default-domain, C-ns, C__ns__svc]}. */
  public static FqName loadbalancer(String cluster, String namespace, String service) {
    return FqName.of(
        DEFAULT_DOMAIN, project(cluster, namespace), cluster + "__" + namespace + "__" + service);
  }

  /**
   * Listener of a service port: {@code [default-domain, C-ns, C__ns__svc__TCP-80]}. Its pool has
   * the same name (names are unique per type, as a pod's virtual machine and interface share one).
   */
  public static FqName loadbalancerListener(
      String cluster, String namespace, String service, Protocol protocol, int port) {
    return FqName.of(
        DEFAULT_DOMAIN,
        project(cluster, namespace),
        cluster + "__" + namespace + "__" + service + "__" + protocol.name() + "-" + port);
  }

  /** Pool of a service port; see {@link #loadbalancerListener}. */
  public static FqName loadbalancerPool(
      String cluster, String namespace, String service, Protocol protocol, int port) {
    return loadbalancerListener(cluster, namespace, service, protocol, port);
  }

  /**
   * A backend of a pool, a child of it: {@code [..., C__ns__svc__TCP-80, 10.32.0.5_8080]}; an IPv6
   * address is written with {@code -} for {@code :} ({@code fd00--5_8080}), as FQ name parts cannot
   * hold a colon.
   */
  public static FqName loadbalancerMember(FqName pool, String address, int port) {
    return pool.child(address.replace(':', '-') + "_" + port);
  }

  /**
   * A service's VIP instance IP, top-level like a pod's: {@code C__ns__svc__vip} ({@code __vip__v6}
   * for IPv6). Pod names cannot hold {@code __}, so these never meet a pod's {@code C__ns__p}.
   */
  public static FqName serviceInstanceIp(
      String cluster, String namespace, String service, IpFamily family) {
    return FqName.of(
        cluster
            + "__"
            + namespace
            + "__"
            + service
            + "__vip"
            + (family == IpFamily.V6 ? "__v6" : ""));
  }

  /** Instance IPs are top-level objects; one per address family of the pod. */
  public static FqName podInstanceIp(
      String cluster, String namespace, String pod, IpFamily family) {
    return FqName.of(
        cluster + "__" + namespace + "__" + pod + (family == IpFamily.V6 ? "__v6" : ""));
  }

  /**
   * The floating IP a LoadBalancer service is reached at, a child of its pool: {@code [...pool,
   * C__ns__svc]}.
   */
  public static FqName serviceFloatingIp(
      FqName pool, String cluster, String namespace, String service) {
    return pool.child(cluster + "__" + namespace + "__" + service);
  }

  /**
   * The floating IP of one of a service's {@code externalIPs}: {@code [...pool,
   * C__ns__svc__external__203.0.113.7]} ({@code -} for {@code :} in IPv6).
   */
  public static FqName serviceExternalIp(
      FqName pool, String cluster, String namespace, String service, String address) {
    return pool.child(
        cluster + "__" + namespace + "__" + service + "__external__" + address.replace(':', '-'));
  }
}
