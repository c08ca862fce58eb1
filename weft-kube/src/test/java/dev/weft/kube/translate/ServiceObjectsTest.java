package dev.weft.kube.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.kube.ClusterConfig;
import dev.weft.model.ConfigObject;
import dev.weft.model.FqName;
import dev.weft.model.InstanceIp;
import dev.weft.model.IpFamily;
import dev.weft.model.Loadbalancer;
import dev.weft.model.LoadbalancerListener;
import dev.weft.model.LoadbalancerMember;
import dev.weft.model.LoadbalancerPool;
import dev.weft.model.ObjectType;
import dev.weft.model.Protocol;
import dev.weft.model.Ref;
import dev.weft.model.Subnet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ServiceObjectsTest {
  private static final String UID = "6f1d5a4e-0000-4000-8000-000000000001";
  private static final Ref PROJECT =
      new Ref(ObjectType.PROJECT, UUID.randomUUID(), FqName.parse("default-domain:k8s-shop"));
  private static final Ref NETWORK =
      new Ref(
          ObjectType.VIRTUAL_NETWORK,
          UUID.randomUUID(),
          FqName.parse("default-domain:k8s-default:k8s-default-service-network"));
  private static final String POOL = "default-domain:k8s-default:k8s-service-ipam";
  private final ClusterConfig config = ClusterConfig.defaults();

  private static ServiceInfo service(String clusterIp, ServiceInfo.Port... ports) {
    return new ServiceInfo("shop", "web", UID, "ClusterIP", List.of(clusterIp), List.of(ports));
  }

  private static ServiceInfo.Port port(String name, String protocol, int port) {
    return new ServiceInfo.Port(name, protocol, port);
  }

  private static EndpointSliceInfo slice(
      String name,
      String type,
      List<EndpointSliceInfo.Port> ports,
      EndpointSliceInfo.Endpoint... e) {
    return new EndpointSliceInfo("shop", name, "web", type, ports, List.of(e));
  }

  private static EndpointSliceInfo.Endpoint ready(String address, String pod) {
    return new EndpointSliceInfo.Endpoint(List.of(address), true, "shop/" + pod);
  }

  private static EndpointSliceInfo.Endpoint unready(String address) {
    return new EndpointSliceInfo.Endpoint(List.of(address), false, "");
  }

  private List<ConfigObject> desired(ServiceInfo svc, List<EndpointSliceInfo> slices) {
    List<PodAddress> vips = new ArrayList<>();
    for (String vip : ServiceObjects.vips(svc)) {
      vips.add(
          new PodAddress(
              vip, Subnet.of(vip.contains(":") ? "fd00:96::/108" : "10.96.0.0/12"), POOL));
    }
    Set<IpFamily> families =
        vips.stream().map(v -> ServiceObjects.family(v.address())).collect(Collectors.toSet());
    List<ServiceObjects.Backend> backends = ServiceObjects.backends(svc, slices, families);
    Map<String, Ref> interfaces = new HashMap<>();
    for (ServiceObjects.Backend b : backends) {
      if (b.address().equals("10.32.0.9")) {
        continue; // outside Weft
      }
      interfaces.put(
          b.address(),
          new Ref(
              ObjectType.VIRTUAL_MACHINE_INTERFACE,
              Uuids.of("vmi", b.address()),
              FqName.parse("default-domain:k8s-shop:k8s__shop__" + b.pod().replace('/', '-'))));
    }
    return ServiceObjects.desired(config, svc, PROJECT, NETWORK, vips, backends, interfaces);
  }

  private static <T extends ConfigObject> List<T> of(List<ConfigObject> objects, Class<T> type) {
    return objects.stream().filter(type::isInstance).map(type::cast).toList();
  }

  @Test
  void aServiceIsALoadBalancerWithAListenerAndPoolPerPortAndAMemberPerReadyBackend() {
    ServiceInfo svc = service("10.96.0.20", port("http", "TCP", 80), port("dns", "UDP", 53));
    List<EndpointSliceInfo.Port> ports =
        List.of(
            new EndpointSliceInfo.Port("http", "TCP", 8080),
            new EndpointSliceInfo.Port("dns", "UDP", 5353));
    List<ConfigObject> objects =
        desired(
            svc,
            List.of(
                slice(
                    "web-a",
                    "IPv4",
                    ports,
                    ready("10.32.0.5", "web-1"),
                    unready("10.32.0.6"),
                    ready("10.32.0.9", "outside"))));

    Loadbalancer lb = of(objects, Loadbalancer.class).get(0);
    assertThat(lb.uuid()).isEqualTo(UUID.fromString(UID));
    assertThat(lb.fqName()).isEqualTo(FqName.parse("default-domain:k8s-shop:k8s__shop__web"));
    assertThat(lb.provider()).isEqualTo("native");
    assertThat(lb.vipAddress()).isEqualTo("10.96.0.20");
    assertThat(lb.vipNetwork()).isEqualTo(NETWORK);
    assertThat(lb.parent()).isEqualTo(PROJECT);
    assertThat(lb.annotations())
        .containsEntry("kind", "Service")
        .containsEntry("namespace", "shop")
        .containsEntry("name", "web")
        .containsEntry("k8s_uuid", UID);
    assertThat(lb.owner().orElseThrow().key()).isEqualTo("Service/shop/web");

    InstanceIp vip = of(objects, InstanceIp.class).get(0);
    assertThat(vip.fqName()).isEqualTo(FqName.parse("k8s__shop__web__vip"));
    assertThat(vip.serviceIp()).isTrue();
    assertThat(vip.interfaces()).isEmpty();
    assertThat(vip.pool()).isEqualTo(POOL);
    assertThat(vip.virtualNetwork()).isEqualTo(NETWORK);
    assertThat(lb.vipInstanceIps()).containsExactly(Ref.to(vip));

    assertThat(of(objects, LoadbalancerListener.class))
        .extracting(l -> l.fqName().toString() + " " + l.protocol() + " " + l.port())
        .containsExactlyInAnyOrder(
            "default-domain:k8s-shop:k8s__shop__web__TCP-80 TCP 80",
            "default-domain:k8s-shop:k8s__shop__web__UDP-53 UDP 53");
    assertThat(of(objects, LoadbalancerListener.class))
        .allMatch(l -> l.loadbalancer().equals(Ref.to(lb)));
    List<LoadbalancerPool> pools = of(objects, LoadbalancerPool.class);
    assertThat(pools).allMatch(p -> p.method().equals("ecmp"));
    assertThat(pools)
        .extracting(p -> p.fqName().name() + " " + p.listener().to().name())
        .containsExactlyInAnyOrder(
            "k8s__shop__web__TCP-80 k8s__shop__web__TCP-80",
            "k8s__shop__web__UDP-53 k8s__shop__web__UDP-53");

    assertThat(of(objects, LoadbalancerMember.class))
        .extracting(
            m ->
                m.fqName()
                    + " "
                    + (m.virtualMachineInterface() == null
                        ? "-"
                        : m.virtualMachineInterface().to().name()))
        .containsExactlyInAnyOrder(
            "default-domain:k8s-shop:k8s__shop__web__TCP-80:10.32.0.5_8080 k8s__shop__shop-web-1",
            "default-domain:k8s-shop:k8s__shop__web__TCP-80:10.32.0.9_8080 -",
            "default-domain:k8s-shop:k8s__shop__web__UDP-53:10.32.0.5_5353 k8s__shop__shop-web-1",
            "default-domain:k8s-shop:k8s__shop__web__UDP-53:10.32.0.9_5353 -");
  }

  @Test
  void everyProtocolIsItselfAndTargetPortsComeFromTheSlicePortOfTheSameName() {
    ServiceInfo svc =
        service(
            "10.96.0.21",
            port("a", "TCP", 80),
            port("b", "UDP", 80),
            port("c", "SCTP", 9000),
            port("d", "TCP", 443));
    // Slice ports in another order than the service's; "d" has no slice port: no members.
    List<EndpointSliceInfo.Port> ports =
        List.of(
            new EndpointSliceInfo.Port("c", "SCTP", 9999),
            new EndpointSliceInfo.Port("b", "UDP", 8053),
            new EndpointSliceInfo.Port("a", "TCP", 8080));
    List<ConfigObject> objects =
        desired(svc, List.of(slice("web-a", "IPv4", ports, ready("10.32.0.5", "p"))));
    assertThat(of(objects, LoadbalancerMember.class))
        .extracting(m -> m.parent().to().name() + " " + m.port())
        .containsExactlyInAnyOrder(
            "k8s__shop__web__TCP-80 8080",
            "k8s__shop__web__UDP-80 8053",
            "k8s__shop__web__SCTP-9000 9999");
    assertThat(of(objects, LoadbalancerPool.class))
        .extracting(LoadbalancerPool::protocol)
        .containsExactlyInAnyOrder(Protocol.TCP, Protocol.UDP, Protocol.SCTP, Protocol.TCP);
  }

  @Test
  void membersAreOfTheVipsFamilyAndFqdnSlicesAreIgnored() {
    List<EndpointSliceInfo.Port> ports = List.of(new EndpointSliceInfo.Port("", "TCP", 80));
    List<EndpointSliceInfo> slices =
        List.of(
            slice("v4", "IPv4", ports, ready("10.32.0.5", "a")),
            slice("v6", "IPv6", ports, ready("fd00:10:32::5", "a")),
            slice("dns", "FQDN", ports, ready("example.com", "x")));
    assertThat(
            of(
                desired(service("10.96.0.22", port("", "TCP", 80)), slices),
                LoadbalancerMember.class))
        .extracting(LoadbalancerMember::address)
        .containsExactly("10.32.0.5");
    List<ConfigObject> v6 = desired(service("fd00:96::22", port("", "TCP", 80)), slices);
    assertThat(of(v6, LoadbalancerMember.class))
        .extracting(m -> m.fqName().name())
        .containsExactly("fd00-10-32--5_80");
    assertThat(of(v6, InstanceIp.class).get(0).fqName().toString())
        .isEqualTo("k8s__shop__web__vip__v6");
  }

  @Test
  void headlessExternalNameAndUnallocatedServicesHaveNoVip() {
    assertThat(service("None", port("", "TCP", 80)).hasVip()).isFalse();
    assertThat(new ServiceInfo("shop", "x", UID, "ExternalName", List.of(), List.of()).hasVip())
        .isFalse();
    assertThat(new ServiceInfo("shop", "x", UID, null, List.of(""), List.of()).hasVip()).isFalse();
    assertThat(service("10.96.0.1", port("", "TCP", 80)).hasVip()).isTrue();
  }

  @Test
  void badClusterIpsAndProtocolsAreInputErrors() {
    assertThatThrownBy(() -> ServiceObjects.vips(service("10.96.0.300")))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("service \"shop/web\": clusterIP \"10.96.0.300\" is not an IP");
    assertThatThrownBy(() -> ServiceObjects.ports(service("10.96.0.3", port("", "ICMP", 1))))
        .isInstanceOf(InputException.class)
        .hasMessageContaining("\"ICMP\" is not one of TCP, UDP, SCTP");
  }

  @Test
  void isolatedNamespacesHaveTheirOwnServiceNetwork() {
    NamespaceInfo plain = new NamespaceInfo("shop", "u1", Map.of(), Map.of());
    NamespaceInfo isolated =
        new NamespaceInfo("shop", "u1", Map.of(), Map.of(KubeAnnotations.ISOLATION, "true"));
    assertThat(ServiceObjects.vipNetwork(config, plain).toString())
        .isEqualTo("default-domain:k8s-default:k8s-default-service-network");
    assertThat(ServiceObjects.vipNetwork(config, isolated).toString())
        .isEqualTo("default-domain:k8s-shop:k8s-shop-service-network");
  }

  static IntStream seeds() {
    return IntStream.range(0, 25);
  }

  /**
   * Slices and endpoints in any order give the same objects; changing one port's target port
   * changes exactly that port's members, and nothing else.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void orderDoesNotMatterAndATargetPortChangeTouchesOnlyItsMembers(int seed) {
    Random random = new Random(seed);
    ServiceInfo svc = service("10.96.0.30", port("a", "TCP", 80), port("b", "UDP", 53));
    List<EndpointSliceInfo.Endpoint> endpoints = new ArrayList<>();
    int n = 1 + random.nextInt(30);
    for (int i = 0; i < n; i++) {
      String address = "10.32.1." + (1 + random.nextInt(250));
      endpoints.add(
          random.nextInt(4) == 0
              ? unready(address)
              : ready(address, "p" + address.replace('.', '-')));
    }
    List<EndpointSliceInfo.Port> ports =
        List.of(
            new EndpointSliceInfo.Port("a", "TCP", 8080),
            new EndpointSliceInfo.Port("b", "UDP", 5353));
    List<EndpointSliceInfo> slices = split(endpoints, ports, random);
    List<ConfigObject> first = desired(svc, slices);

    List<EndpointSliceInfo.Endpoint> shuffled = new ArrayList<>(endpoints);
    Collections.shuffle(shuffled, random);
    List<EndpointSliceInfo> again = new ArrayList<>(split(shuffled, ports, random));
    Collections.shuffle(again, random);
    assertThat(new HashSet<>(desired(svc, again)))
        .as("seed %d", seed)
        .isEqualTo(new HashSet<>(first));

    List<EndpointSliceInfo.Port> moved =
        List.of(
            new EndpointSliceInfo.Port("a", "TCP", 9090),
            new EndpointSliceInfo.Port("b", "UDP", 5353));
    Set<ConfigObject> before = new HashSet<>(first);
    Set<ConfigObject> after = new HashSet<>(desired(svc, split(endpoints, moved, random)));
    Set<ConfigObject> gone = new HashSet<>(before);
    gone.removeAll(after);
    Set<ConfigObject> added = new HashSet<>(after);
    added.removeAll(before);
    assertThat(gone)
        .as("seed %d", seed)
        .allMatch(o -> o instanceof LoadbalancerMember m && m.port() == 8080);
    assertThat(added)
        .as("seed %d", seed)
        .allMatch(o -> o instanceof LoadbalancerMember m && m.port() == 9090);
    assertThat(gone.size()).isEqualTo(added.size());
  }

  private static List<EndpointSliceInfo> split(
      List<EndpointSliceInfo.Endpoint> endpoints,
      List<EndpointSliceInfo.Port> ports,
      Random random) {
    List<EndpointSliceInfo> out = new ArrayList<>();
    int i = 0;
    while (i < endpoints.size()) {
      int size = 1 + random.nextInt(10);
      List<EndpointSliceInfo.Endpoint> part =
          endpoints.subList(i, Math.min(endpoints.size(), i + size));
      out.add(new EndpointSliceInfo("shop", "web-" + out.size(), "web", "IPv4", ports, part));
      i += size;
    }
    return out;
  }
}
