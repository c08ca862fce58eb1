package dev.weft.dataplane.bench;

import dev.weft.control.World;
import dev.weft.control.World.Pod;
import dev.weft.model.ConfigObject;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerMember;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.NetworkPolicy;
import dev.weft.model.PolicyLink;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import dev.weft.model.VirtualNetwork;
import dev.weft.model.VirtualRouter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The service benchmark's cluster: {@code pods} pods spread evenly over {@value #NAMESPACES}
 * namespaces (a pod network each) on two nodes, every pod network joined by a policy to one service
 * network, and {@code services} services in it. Service {@code i} lives in namespace {@code i %
 * 10}, has its VIP {@code 10.96.(i / 250).(1 + i % 250)} and one listener, 80/TCP, whose pool has
 * {@value #BACKENDS} members, distinct pods of its namespace, at target port 8080; with 1,000 pods
 * a namespace, each pod backs ten services (a cluster of 100,000 backend pods would be mostly pods
 * the services do not read). The services' VIP instance IPs are left out: the compiler ignores
 * service addresses.
 */
final class ServiceWorld {
  static final int NAMESPACES = 10;
  static final int BACKENDS = 10;

  /** Objects per store transaction while filling the cluster. */
  private static final int CHUNK = 1_000;

  final VirtualNetwork serviceNetwork;
  private final List<List<Pod>> podsByNamespace = new ArrayList<>();

  ServiceWorld(World world, int pods, int services) {
    if (pods / NAMESPACES < BACKENDS) {
      throw new IllegalArgumentException(
          "a service needs " + BACKENDS + " pods in its namespace, got " + pods / NAMESPACES);
    }
    if (services > 250 * 250) {
      throw new IllegalArgumentException("at most 62,500 VIPs in 10.96/16, got " + services);
    }
    VirtualRouter node1 = World.router("node-1", "192.168.0.1");
    VirtualRouter node2 = World.router("node-2", "192.168.0.2");
    List<ConfigObject> objects = new ArrayList<>(List.of(node1, node2));
    VirtualNetwork bare = World.network("default-service-network");
    List<VirtualNetwork> podNetworks = new ArrayList<>();
    List<PolicyLink> serviceLinks = new ArrayList<>();
    for (int k = 0; k < NAMESPACES; k++) {
      VirtualNetwork podNetwork = World.network("ns-" + k + "-pod-network");
      NetworkPolicy np = World.policy("ns-" + k + "-services", World.pass(podNetwork, "<>", bare));
      objects.add(np);
      podNetworks.add(World.linked(podNetwork, World.link(np, 0)));
      serviceLinks.add(World.link(np, 0));
      podsByNamespace.add(new ArrayList<>());
    }
    serviceNetwork = World.linked(bare, serviceLinks.toArray(PolicyLink[]::new));
    objects.add(serviceNetwork);
    objects.addAll(podNetworks);
    for (int i = 0; i < pods; i++) {
      int k = i % NAMESPACES;
      int n = i / NAMESPACES;
      Pod p =
          World.pod(
              "ns-" + k,
              "pod-" + n,
              podNetworks.get(k),
              i % 2 == 0 ? node1 : node2,
              "10." + k + "." + (n / 250) + "." + (1 + n % 250));
      podsByNamespace.get(k).add(p);
      objects.addAll(List.of(p.objects()));
    }
    for (int i = 0; i < services; i++) {
      objects.addAll(service(i, BACKENDS));
    }
    for (int from = 0; from < objects.size(); from += CHUNK) {
      world.put(
          objects
              .subList(from, Math.min(from + CHUNK, objects.size()))
              .toArray(ConfigObject[]::new));
    }
  }

  /**
   * Service {@code i}'s objects, with {@code backends} members (at most the pods of a namespace):
   * load balancer, listener, pool, then the members.
   */
  List<ConfigObject> service(int i, int backends) {
    int k = i % NAMESPACES;
    List<Pod> candidates = podsByNamespace.get(k);
    if (backends > candidates.size()) {
      throw new IllegalArgumentException(
          backends + " backends, but namespace ns-" + k + " has " + candidates.size() + " pods");
    }
    String name = "ns-" + k + "__svc-" + i;
    Loadbalancer lb =
        new Loadbalancer(
            World.uuid("lb", name),
            serviceNetwork.fqName().child(name),
            null,
            Map.of(),
            "native",
            "10.96." + (i / 250) + "." + (1 + i % 250),
            Ref.to(serviceNetwork),
            List.of());
    LoadbalancerListener listener =
        new LoadbalancerListener(
            World.uuid("listener", name),
            lb.fqName().child("TCP-80"),
            Ref.to(lb),
            Map.of(),
            Ref.to(lb),
            Protocol.TCP,
            80);
    LoadbalancerPool pool =
        new LoadbalancerPool(
            World.uuid("pool", name),
            listener.fqName().child("pool"),
            Ref.to(listener),
            Map.of(),
            Ref.to(listener),
            Protocol.TCP,
            "ecmp");
    List<ConfigObject> out = new ArrayList<>(List.of(lb, listener, pool));
    // Consecutive pods of the namespace, so that services share pods evenly.
    int first = (i / NAMESPACES) * BACKENDS;
    for (int j = 0; j < backends; j++) {
      Pod backend = candidates.get((first + j) % candidates.size());
      out.add(
          new LoadbalancerMember(
              World.uuid("member", name + "/" + backend.address()),
              pool.fqName().child(backend.address()),
              Ref.to(pool),
              Map.of(),
              backend.address(),
              8080,
              Ref.to(backend.vmi())));
    }
    return out;
  }
}
