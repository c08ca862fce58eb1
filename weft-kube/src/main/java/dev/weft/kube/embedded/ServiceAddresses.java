package dev.weft.kube.embedded;

import dev.weft.model.IpFamily;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * What the API server fills in on a Service: its IP families, IP family policy and cluster IPs.
 * ClusterIP, NodePort and LoadBalancer services without {@code spec.clusterIP} get one per family
 * from the {@link ClusterIpAllocator}; a requested cluster IP is kept as given (Weft validates it);
 * headless services ({@code clusterIP: None}) get families but no address; ExternalName services
 * are left alone.
 *
 * @param clusterIps the cluster IPs, primary family first ({@code [None]} when headless)
 * @param ipFamilies {@code IPv4} / {@code IPv6}, in the order of {@code clusterIps}
 * @param ipFamilyPolicy {@code SingleStack}, {@code PreferDualStack} or {@code RequireDualStack}
 */
record ServiceAddresses(List<String> clusterIps, List<String> ipFamilies, String ipFamilyPolicy) {
  static final String NONE = "None";
  static final String SINGLE = "SingleStack";
  static final String PREFER_DUAL = "PreferDualStack";
  static final String REQUIRE_DUAL = "RequireDualStack";

  ServiceAddresses {
    clusterIps = List.copyOf(clusterIps);
    ipFamilies = List.copyOf(ipFamilies);
  }

  /** Who holds cluster IPs in the {@link ClusterIpAllocator}: {@code namespace/name}. */
  static String owner(Service service) {
    return service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
  }

  /** The address type ({@code IPv4} / {@code IPv6}) of a family, as in Kubernetes. */
  static String wire(IpFamily family) {
    return family == IpFamily.V4 ? "IPv4" : "IPv6";
  }

  static IpFamily family(String wire) {
    return switch (wire) {
      case "IPv4" -> IpFamily.V4;
      case "IPv6" -> IpFamily.V6;
      default -> null;
    };
  }

  static boolean headless(ServiceSpec spec) {
    return spec != null && NONE.equals(spec.getClusterIP());
  }

  static boolean externalName(ServiceSpec spec) {
    return spec != null && "ExternalName".equals(spec.getType());
  }

  static boolean hasSelector(ServiceSpec spec) {
    Map<String, String> selector = spec == null ? null : spec.getSelector();
    // An empty selector is the same as none: the API drops it when serialising.
    return selector != null && !selector.isEmpty();
  }

  /**
   * The addresses {@code service} should have, allocating from {@code allocator} what it lacks;
   * null for an ExternalName service, or when a family it needs has no subnet or no free address
   * (the API server would refuse such a service; the reason is in {@code problem}).
   *
   * @param usedElsewhere whether another service's spec already holds an address
   * @param problem receives why no addresses could be given, when that is the case
   */
  static ServiceAddresses decide(
      Service service,
      ClusterIpAllocator allocator,
      Predicate<String> usedElsewhere,
      java.util.function.Consumer<String> problem) {
    ServiceSpec spec = service.getSpec() == null ? new ServiceSpec() : service.getSpec();
    if (externalName(spec)) {
      allocator.release(owner(service));
      return null;
    }
    List<IpFamily> cluster = allocator.families();
    boolean headless = headless(spec);
    List<String> requested = new ArrayList<>();
    if (!headless) {
      if (spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()) {
        requested.addAll(spec.getClusterIPs());
      } else if (spec.getClusterIP() != null && !spec.getClusterIP().isEmpty()) {
        requested.add(spec.getClusterIP());
      }
    }
    List<IpFamily> families = new ArrayList<>();
    if (spec.getIpFamilies() != null) {
      for (String wire : spec.getIpFamilies()) {
        IpFamily f = family(wire);
        if (f == null) {
          problem.accept("spec.ipFamilies: expected IPv4 or IPv6, found \"" + wire + "\"");
          return null;
        }
        if (!families.contains(f)) {
          families.add(f);
        }
      }
    }
    if (families.isEmpty()) {
      for (String ip : requested) {
        IpFamily f = ClusterIpAllocator.family(ip);
        if (!families.contains(f)) {
          families.add(f);
        }
      }
    }
    String policy = spec.getIpFamilyPolicy();
    if (policy == null || policy.isEmpty()) {
      if (families.size() > 1) {
        policy = REQUIRE_DUAL;
      } else if (headless && !hasSelector(spec) && families.isEmpty() && cluster.size() > 1) {
        // Headless services without a selector default to both families on a dual-stack cluster.
        policy = REQUIRE_DUAL;
      } else {
        policy = SINGLE;
      }
    }
    if (families.isEmpty()) {
      families.add(cluster.get(0));
    }
    if (!policy.equals(SINGLE)) {
      for (IpFamily f : cluster) {
        if (!families.contains(f)) {
          families.add(f);
        }
      }
    } else if (families.size() > 1) {
      families = new ArrayList<>(families.subList(0, 1));
    }
    List<String> wires = families.stream().map(ServiceAddresses::wire).toList();
    if (headless) {
      allocator.release(owner(service));
      return new ServiceAddresses(List.of(NONE), wires, policy);
    }
    for (String ip : requested) {
      if (!families.contains(ClusterIpAllocator.family(ip))) {
        problem.accept(
            "spec.clusterIPs "
                + requested
                + " do not match the IP families "
                + wires
                + " (policy "
                + policy
                + "); left as they are");
        return null;
      }
    }
    List<String> ips = new ArrayList<>();
    for (IpFamily f : families) {
      String ip =
          requested.stream()
              .filter(r -> ClusterIpAllocator.family(r) == f)
              .findFirst()
              .orElse(null);
      if (ip == null) {
        if (!cluster.contains(f)) {
          problem.accept(
              "no service subnet of family "
                  + wire(f)
                  + " to allocate a cluster IP from (service subnets are "
                  + cluster.stream().map(ServiceAddresses::wire).toList()
                  + ")");
          return null;
        }
        ip = allocator.assign(owner(service), f, usedElsewhere);
        if (ip == null) {
          problem.accept("the " + wire(f) + " service subnets have no free cluster IP left");
          return null;
        }
      }
      ips.add(ip);
    }
    allocator.retain(owner(service), ips);
    return new ServiceAddresses(ips, wires, policy);
  }

  /** Whether {@code spec} already says all this. */
  boolean writtenIn(ServiceSpec spec) {
    return spec != null
        && clusterIps.get(0).equals(spec.getClusterIP())
        && clusterIps.equals(spec.getClusterIPs())
        && ipFamilies.equals(spec.getIpFamilies())
        && ipFamilyPolicy.equals(spec.getIpFamilyPolicy());
  }
}
