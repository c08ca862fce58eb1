package dev.weft.kube.translate;

import dev.weft.kube.ClusterConfig;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpFamily;
import dev.weft.model.IpPrefix;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerMember;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.Names;
import dev.weft.model.Owner;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Objects for one service with a cluster IP: an ECMP-native load balancer (UUID = service UID)
 * whose VIP is the cluster IP, held by a service instance IP in the namespace's service network;
 * per service port a listener and a pool; per ready backend of that port a member, with the target
 * port the EndpointSlices resolved and the pod interface holding the address.
 *
 * <p>Listener, pool and member UUIDs follow from the service UID and what each stands for (protocol
 * and port; backend address and target port), so a changed port, selector or target port converges
 * by adding and removing exactly the objects that changed.
 */
public final class ServiceObjects {
  /** Load-balancer provider of services: routing, not a proxy. */
  public static final String PROVIDER = "native";

  /** Pool method of services: a hash of the 5-tuple picks the backend. */
  public static final String METHOD = "ecmp";

  private ServiceObjects() {}

  public static String key(String namespace, String name) {
    return "Service/" + namespace + "/" + name;
  }

  /**
   * One backend of one service port.
   *
   * @param targetPort the port the EndpointSlice resolved for the service port
   * @param pod {@code namespace/name} of the pod the endpoint targets, or empty
   */
  public record Backend(Protocol protocol, int port, String address, int targetPort, String pod) {}

  /**
   * The network a service's VIP lives in: an isolated namespace's own service network, otherwise
   * the cluster's default one.
   *
   * @throws InputException when the namespace's annotations are malformed
   */
  public static FqName vipNetwork(ClusterConfig config, NamespaceInfo ns) {
    NamespaceSettings settings = NamespaceSettings.of(ns);
    if (settings.isolated() && !ns.name().equals("default")) {
      return Names.serviceNetwork(config.name(), ns.name());
    }
    return Names.serviceNetwork(config.name(), "default");
  }

  /**
   * The service's cluster IPs in canonical form, primary first, at most one per family.
   *
   * @throws InputException (InvalidClusterIP) when one is not an IP address, or two share a family
   */
  public static List<String> vips(ServiceInfo svc) {
    List<String> out = new ArrayList<>();
    Set<IpFamily> seen = new LinkedHashSet<>();
    for (String ip : svc.clusterIps()) {
      String address;
      try {
        address = IpPrefix.canonicalAddress(ip);
      } catch (IllegalArgumentException e) {
        throw new InputException(
            "InvalidClusterIP", where(svc) + ": clusterIP \"" + ip + "\" is not an IP address");
      }
      if (!seen.add(family(address))) {
        throw new InputException(
            "InvalidClusterIP",
            where(svc)
                + ": clusterIPs "
                + svc.clusterIps()
                + " hold two "
                + family(address).wire()
                + " addresses; a service has at most one per family");
      }
      out.add(address);
    }
    return out;
  }

  public static UUID loadbalancerUuid(ServiceInfo svc) {
    return Uuids.fromUid(svc.uid());
  }

  public static UUID vipUuid(ServiceInfo svc, IpFamily family) {
    return Uuids.of("instance-ip", svc.uid(), "vip", family.wire());
  }

  public static UUID listenerUuid(ServiceInfo svc, Protocol protocol, int port) {
    return Uuids.of("loadbalancer-listener", svc.uid(), protocol.wire(), Integer.toString(port));
  }

  public static UUID poolUuid(ServiceInfo svc, Protocol protocol, int port) {
    return Uuids.of("loadbalancer-pool", svc.uid(), protocol.wire(), Integer.toString(port));
  }

  public static UUID memberUuid(ServiceInfo svc, Backend b) {
    return Uuids.of(
        "loadbalancer-member",
        svc.uid(),
        b.protocol().wire(),
        Integer.toString(b.port()),
        b.address(),
        Integer.toString(b.targetPort()));
  }

  /**
   * The service ports Weft load-balances, one per protocol and port (a repeated one is ignored, as
   * the API server would have refused it).
   *
   * @throws InputException when a protocol is not TCP, UDP or SCTP
   */
  public static List<ServiceInfo.Port> ports(ServiceInfo svc) {
    Map<String, ServiceInfo.Port> out = new LinkedHashMap<>();
    for (ServiceInfo.Port p : svc.ports()) {
      Protocol protocol = protocol(svc, p.protocol());
      out.putIfAbsent(protocol + "/" + p.port(), p);
    }
    return List.copyOf(out.values());
  }

  /**
   * The ready backends of every service port: from every EndpointSlice of the service, the ready
   * endpoints whose (first) address is of one of {@code families}, at the slice port named as the
   * service port. Sorted, without duplicates (an endpoint may sit in two slices for a moment).
   */
  public static List<Backend> backends(
      ServiceInfo svc, List<EndpointSliceInfo> slices, Set<IpFamily> families) {
    TreeMap<String, Backend> out = new TreeMap<>();
    for (ServiceInfo.Port sp : ports(svc)) {
      Protocol protocol = protocol(svc, sp.protocol());
      for (EndpointSliceInfo slice : slices) {
        if (!(slice.addressType().equals("IPv4") || slice.addressType().equals("IPv6"))) {
          continue; // FQDN endpoints name hosts, not addresses to route to
        }
        EndpointSliceInfo.Port target = targetPort(slice, sp);
        if (target == null || target.port() == null || target.port() < 1 || target.port() > 65535) {
          continue;
        }
        for (EndpointSliceInfo.Endpoint e : slice.endpoints()) {
          if (!e.ready() || e.addresses().isEmpty()) {
            continue;
          }
          String address;
          try {
            address = IpPrefix.canonicalAddress(e.addresses().get(0));
          } catch (IllegalArgumentException bad) {
            continue; // the API server validates addresses; nothing to route to here
          }
          if (!families.contains(family(address))) {
            continue;
          }
          Backend b = new Backend(protocol, sp.port(), address, target.port(), e.pod());
          out.merge(
              protocol + "/" + sp.port() + "/" + address + "/" + target.port(),
              b,
              (x, y) -> x.pod().isEmpty() ? y : x);
        }
      }
    }
    return List.copyOf(out.values());
  }

  /** The slice port serving {@code sp}: the one of the same name, of the same protocol if any. */
  private static EndpointSliceInfo.Port targetPort(EndpointSliceInfo slice, ServiceInfo.Port sp) {
    EndpointSliceInfo.Port byName = null;
    for (EndpointSliceInfo.Port p : slice.ports()) {
      if (p.name().equals(sp.name())) {
        if (p.protocol().equalsIgnoreCase(sp.protocol())) {
          return p;
        }
        byName = byName == null ? p : byName;
      }
    }
    return byName;
  }

  /**
   * The service's objects.
   *
   * @param project the namespace's project, parent of the load balancer, listeners and pools
   * @param network the service network of the VIP
   * @param vips the reserved VIP addresses, primary (the cluster IP) first
   * @param backends from {@link #backends}
   * @param interfaces the pod interface holding each backend address; an address missing here (an
   *     endpoint outside Weft) still gets a member, without an interface
   */
  public static List<ConfigObject> desired(
      ClusterConfig config,
      ServiceInfo svc,
      Ref project,
      Ref network,
      List<PodAddress> vips,
      List<Backend> backends,
      Map<String, Ref> interfaces) {
    if (vips.isEmpty()) {
      throw new IllegalArgumentException(where(svc) + ": a load balancer needs a VIP");
    }
    String c = config.name();
    Map<String, String> own =
        new Owner(c, "Service", svc.namespace(), svc.name(), svc.uid()).annotations();
    List<ConfigObject> out = new ArrayList<>();
    List<Ref> vipRefs = new ArrayList<>();
    for (PodAddress vip : vips) {
      IpFamily family = vip.subnet().prefix().family();
      InstanceIp ip =
          new InstanceIp(
              vipUuid(svc, family),
              Names.serviceInstanceIp(c, svc.namespace(), svc.name(), family),
              null,
              own,
              vip.address(),
              family,
              vip.subnet().prefix(),
              null,
              vip.pool(),
              network,
              List.of(),
              true);
      out.add(ip);
      vipRefs.add(Ref.to(ip));
    }
    Loadbalancer lb =
        new Loadbalancer(
            loadbalancerUuid(svc),
            Names.loadbalancer(c, svc.namespace(), svc.name()),
            project,
            own,
            PROVIDER,
            vips.get(0).address(),
            network,
            vipRefs);
    out.add(lb);
    Map<String, LoadbalancerPool> pools = new LinkedHashMap<>();
    for (ServiceInfo.Port sp : ports(svc)) {
      Protocol protocol = protocol(svc, sp.protocol());
      LoadbalancerListener listener =
          new LoadbalancerListener(
              listenerUuid(svc, protocol, sp.port()),
              Names.loadbalancerListener(c, svc.namespace(), svc.name(), protocol, sp.port()),
              project,
              own,
              Ref.to(lb),
              protocol,
              sp.port(),
              nodePort(svc, sp));
      LoadbalancerPool pool =
          new LoadbalancerPool(
              poolUuid(svc, protocol, sp.port()),
              Names.loadbalancerPool(c, svc.namespace(), svc.name(), protocol, sp.port()),
              project,
              own,
              Ref.to(listener),
              protocol,
              METHOD);
      out.add(listener);
      out.add(pool);
      pools.put(protocol + "/" + sp.port(), pool);
    }
    backends.stream()
        .sorted(Comparator.comparing(ServiceObjects::memberSortKey))
        .forEach(
            b -> {
              LoadbalancerPool pool = pools.get(b.protocol() + "/" + b.port());
              if (pool == null) {
                return; // a backend of a port the service no longer has
              }
              out.add(
                  new LoadbalancerMember(
                      memberUuid(svc, b),
                      Names.loadbalancerMember(pool.fqName(), b.address(), b.targetPort()),
                      Ref.to(pool),
                      own,
                      b.address(),
                      b.targetPort(),
                      interfaces.get(b.address())));
            });
    return out;
  }

  /**
   * The node port of a service port: NodePort and LoadBalancer services listen on every node at the
   * port Kubernetes gave them; others (and ports not given one) have none.
   */
  static Integer nodePort(ServiceInfo svc, ServiceInfo.Port sp) {
    boolean onNodes = svc.type().equals("NodePort") || svc.type().equals("LoadBalancer");
    return onNodes && sp.nodePort() >= 1 && sp.nodePort() <= 65535 ? sp.nodePort() : null;
  }

  private static String memberSortKey(Backend b) {
    return b.protocol() + "/" + b.port() + "/" + b.address() + "/" + b.targetPort();
  }

  private static Protocol protocol(ServiceInfo svc, String text) {
    Protocol p;
    try {
      p = Protocol.parse(text);
    } catch (IllegalArgumentException e) {
      p = null;
    }
    if (p != Protocol.TCP && p != Protocol.UDP && p != Protocol.SCTP) {
      throw new InputException(
          "InvalidPort",
          where(svc) + ": port protocol \"" + text + "\" is not one of TCP, UDP, SCTP");
    }
    return p;
  }

  public static IpFamily family(String canonicalAddress) {
    return canonicalAddress.indexOf(':') >= 0 ? IpFamily.V6 : IpFamily.V4;
  }

  static String where(ServiceInfo svc) {
    return "service \"" + svc.namespace() + "/" + svc.name() + "\"";
  }
}
