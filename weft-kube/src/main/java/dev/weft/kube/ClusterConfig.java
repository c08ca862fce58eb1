package dev.weft.kube;

import dev.weft.model.FqName;
import dev.weft.model.IpPrefix;
import dev.weft.model.Names;
import java.util.List;

/**
 * What the kube-manager needs to know about the cluster it serves.
 *
 * @param name cluster name, the {@code C} of every derived name ({@code k8s} by default)
 * @param podSubnets subnets of the pod IPAM (IPv4 and/or IPv6)
 * @param serviceSubnets subnets of the service IPAM
 * @param fabricSubnets subnets of the IP-fabric IPAM
 * @param publicFipPool the global floating-IP pool {@code domain:project:network:pool}, or null
 */
public record ClusterConfig(
    String name,
    List<IpPrefix> podSubnets,
    List<IpPrefix> serviceSubnets,
    List<IpPrefix> fabricSubnets,
    FqName publicFipPool) {

  public ClusterConfig {
    Names.requireClusterName(name);
    podSubnets = List.copyOf(podSubnets);
    serviceSubnets = List.copyOf(serviceSubnets);
    fabricSubnets = List.copyOf(fabricSubnets);
    if (podSubnets.isEmpty() || serviceSubnets.isEmpty()) {
      throw new IllegalArgumentException("pod and service subnets must not be empty");
    }
    for (IpPrefix p : podSubnets) {
      for (IpPrefix s : serviceSubnets) {
        if (p.overlaps(s)) {
          throw new IllegalArgumentException("pod subnet " + p + " overlaps service subnet " + s);
        }
      }
    }
    if (publicFipPool != null && publicFipPool.parts().size() != 4) {
      throw new IllegalArgumentException(
          "public floating-IP pool must be DOMAIN:PROJECT:NETWORK:POOL, found " + publicFipPool);
    }
  }

  public static ClusterConfig defaults() {
    return new ClusterConfig(
        Names.DEFAULT_CLUSTER,
        List.of(IpPrefix.parse("10.32.0.0/12")),
        List.of(IpPrefix.parse("10.96.0.0/12")),
        List.of(IpPrefix.parse("10.64.0.0/12")),
        null);
  }

  public ClusterConfig withName(String cluster) {
    return new ClusterConfig(cluster, podSubnets, serviceSubnets, fabricSubnets, publicFipPool);
  }

  public ClusterConfig withPodSubnets(List<IpPrefix> subnets) {
    return new ClusterConfig(name, subnets, serviceSubnets, fabricSubnets, publicFipPool);
  }

  public ClusterConfig withServiceSubnets(List<IpPrefix> subnets) {
    return new ClusterConfig(name, podSubnets, subnets, fabricSubnets, publicFipPool);
  }

  public ClusterConfig withPublicFipPool(FqName pool) {
    return new ClusterConfig(name, podSubnets, serviceSubnets, fabricSubnets, pool);
  }
}
