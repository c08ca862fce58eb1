package dev.weft.kube.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.model.PortRange;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What the API server does with a Service's node ports, decided without a server. */
class ServiceNodePortsTest {
  private final NodePortAllocator allocator =
      new NodePortAllocator(StandIns.DEFAULT_NODE_PORT_RANGE, new Random(1));

  /** Services as the other services' specs the claims are read from. */
  private final Map<String, Service> others = new HashMap<>();

  private final List<ServiceProblems.Problem> problems = new ArrayList<>();

  private static ServicePort port(String name, int port, String protocol, Integer nodePort) {
    return new ServicePortBuilder()
        .withName(name)
        .withPort(port)
        .withProtocol(protocol)
        .withNodePort(nodePort)
        .build();
  }

  private static ServicePort port(String name, int port) {
    return port(name, port, "TCP", null);
  }

  private static Service service(String name, String type, ServicePort... ports) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withNamespace("default")
        .withName(name)
        .withCreationTimestamp("2030-01-01T00:00:00Z")
        .endMetadata()
        .withNewSpec()
        .withType(type)
        .withPorts(ports)
        .endSpec()
        .build();
  }

  private ServiceNodePorts decide(Service service) {
    ServiceNodePorts.Claims claims =
        new ServiceNodePorts.Claims() {
          @Override
          public boolean any(int port) {
            return claimants(service, port).findAny().isPresent();
          }

          @Override
          public String earlier(int port) {
            return claimants(service, port)
                .filter(s -> ServiceStandIn.createdBefore(s, service))
                .map(ServiceAddresses::owner)
                .findFirst()
                .orElse(null);
          }
        };
    return ServiceNodePorts.decide(service, allocator, claims, problems::add);
  }

  private java.util.stream.Stream<Service> claimants(Service service, int port) {
    return others.values().stream()
        .filter(s -> !ServiceAddresses.owner(s).equals(ServiceAddresses.owner(service)))
        .filter(s -> ServiceNodePorts.hasNodePorts(s.getSpec()))
        .filter(
            s ->
                s.getSpec().getPorts().stream()
                    .anyMatch(p -> Integer.valueOf(port).equals(ServiceNodePorts.nodePort(p))));
  }

  /** Decides, and stores the service as the stand-in's write would. */
  private Service apply(Service service) {
    ServiceNodePorts decided = decide(service);
    Service stored = service;
    if (decided != null) {
      stored =
          new ServiceBuilder(service)
              .editSpec()
              .withPorts(decided.applyTo(service.getSpec().getPorts()))
              .endSpec()
              .build();
    }
    others.put(ServiceAddresses.owner(stored), stored);
    return stored;
  }

  private static List<Integer> nodePorts(Service s) {
    return s.getSpec().getPorts().stream().map(ServiceNodePorts::nodePort).toList();
  }

  @Test
  void everyPortOfANodePortOrLoadBalancerServiceGetsItsOwnNodePortFromTheRange() {
    Service web = apply(service("web", "NodePort", port("http", 80), port("https", 443)));
    Service lb = apply(service("lb", "LoadBalancer", port("http", 80)));
    List<Integer> all = new ArrayList<>(nodePorts(web));
    all.addAll(nodePorts(lb));
    assertThat(all).hasSize(3).doesNotHaveDuplicates().allMatch(p -> p >= 30086 && p <= 32767);
    assertThat(problems).isEmpty();
  }

  @Test
  void aLoadBalancerThatDoesNotAllocateNodePortsGetsNoneButKeepsRequestedOnes() {
    Service lb = service("lb", "LoadBalancer", port("http", 80), port("admin", 81, "TCP", 30081));
    lb.getSpec().setAllocateLoadBalancerNodePorts(false);
    assertThat(nodePorts(apply(lb))).containsExactly(null, 30081);
    assertThat(allocator.owner(30081)).isEqualTo("default/lb");
  }

  @Test
  void clusterIpAndExternalNameServicesGetNone() {
    assertThat(nodePorts(apply(service("plain", null, port("http", 80))))).containsOnlyNulls();
    assertThat(nodePorts(apply(service("cip", "ClusterIP", port("http", 80))))).containsOnlyNulls();
    assertThat(nodePorts(apply(service("ext", "ExternalName", port("http", 80)))))
        .containsOnlyNulls();
    assertThat(problems).isEmpty();
  }

  @Test
  void aRequestedNodePortInTheRangeIsKept() {
    // In the static band, which is there for exactly this.
    Service dns = apply(service("dns", "NodePort", port("dns", 53, "UDP", 30053)));
    assertThat(nodePorts(dns)).containsExactly(30053);
    assertThat(allocator.owner(30053)).isEqualTo("default/dns");
  }

  @Test
  void theSamePortNumberOnTwoProtocolsSharesOneNodePort() {
    Service dns =
        apply(
            service(
                "dns",
                "NodePort",
                port("dns-tcp", 53, "TCP", null),
                port("dns-udp", 53, "UDP", null),
                port("metrics", 9153)));
    List<Integer> got = nodePorts(dns);
    assertThat(got.get(0)).isNotNull().isEqualTo(got.get(1));
    assertThat(got.get(2)).isNotNull().isNotEqualTo(got.get(0));

    Service asked =
        apply(
            service(
                "asked",
                "NodePort",
                port("dns-tcp", 53, "TCP", null),
                port("dns-udp", 53, "UDP", 30553)));
    assertThat(nodePorts(asked)).containsExactly(30553, 30553);
  }

  @Test
  void aNodePortOutsideTheRangeIsRefusedAndTheServiceLeftAlone() {
    assertThat(decide(service("far", "NodePort", port("a", 80), port("b", 81, "TCP", 40000))))
        .isNull();
    assertThat(problems)
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.reason()).isEqualTo("NodePortOutOfRange");
              assertThat(p.message())
                  .contains("spec.ports[1].nodePort")
                  .contains("40000")
                  .contains("30000-32767");
            });
    assertThat(allocator.heldFor("default/far", "a")).isNull();
  }

  @Test
  void aNodePortAnotherServiceHoldsOrAskedForFirstIsRefused() {
    apply(service("first", "NodePort", port("http", 80, "TCP", 30080)));
    Service second = service("second", "NodePort", port("http", 80, "TCP", 30080));
    assertThat(decide(second)).isNull();
    assertThat(problems.get(0).reason()).isEqualTo("NodePortAlreadyAllocated");
    assertThat(problems.get(0).message()).contains("30080").contains("default/first");
    assertThat(allocator.owner(30080)).isEqualTo("default/first");

    // Not held yet (as after a restart), but asked for by a service created earlier.
    Service older = service("older", "NodePort", port("http", 80, "TCP", 30090));
    older.getMetadata().setCreationTimestamp("2029-01-01T00:00:00Z");
    others.put("default/older", older);
    assertThat(decide(service("younger", "NodePort", port("http", 80, "TCP", 30090)))).isNull();
    assertThat(problems.get(1).message()).contains("30090").contains("default/older");
    assertThat(allocator.owner(30090)).isNull();
    // The older one, decided after, keeps it.
    assertThat(nodePorts(apply(older))).containsExactly(30090);
  }

  @Test
  void theSameNodePortTwiceOnOneProtocolIsRefused() {
    assertThat(
            decide(
                service(
                    "dup", "NodePort", port("a", 80, "TCP", 30080), port("b", 81, "TCP", 30080))))
        .isNull();
    assertThat(problems.get(0).reason()).isEqualTo("NodePortDuplicate");
    assertThat(problems.get(0).message()).contains("spec.ports[1]").contains("spec.ports[0]");
  }

  @Test
  void aReplaceWithoutNodePortsKeepsTheOnesTheServiceHad() {
    Service web = apply(service("web", "NodePort", port("http", 80), port("https", 443)));
    List<Integer> before = nodePorts(web);
    // Re-applied without node ports and with the ports listed the other way round.
    Service again = apply(service("web", "NodePort", port("https", 443), port("http", 80)));
    assertThat(nodePorts(again)).containsExactly(before.get(1), before.get(0));
    assertThat(problems).isEmpty();
  }

  @Test
  void removingAPortReleasesItsNodePort() {
    Service web = apply(service("web", "NodePort", port("http", 80), port("https", 443)));
    int https = nodePorts(web).get(1);
    apply(service("web", "NodePort", port("http", 80)));
    assertThat(allocator.owner(https)).isNull();
    assertThat(allocator.owner(nodePorts(web).get(0))).isEqualTo("default/web");
  }

  @Test
  void turningClusterIpClearsTheNodePortsAndReleasesThem() {
    Service web = apply(service("web", "LoadBalancer", port("http", 80)));
    int held = nodePorts(web).get(0);
    Service cip = new ServiceBuilder(web).editSpec().withType("ClusterIP").endSpec().build();
    assertThat(nodePorts(apply(cip))).containsOnlyNulls();
    assertThat(allocator.owner(held)).isNull();
    assertThat(problems).isEmpty();
  }

  @Test
  void aNodePortOnAClusterIpServiceItNeverHeldIsRefusedAndLeft() {
    Service cip = service("cip", "ClusterIP", port("http", 80, "TCP", 30080));
    assertThat(decide(cip)).isNull();
    assertThat(problems.get(0).reason()).isEqualTo("NodePortNotAllowed");
    assertThat(problems.get(0).message())
        .contains("spec.ports[0].nodePort")
        .contains("30080")
        .contains("ClusterIP");
    assertThat(allocator.owner(30080)).isNull();
  }

  @Test
  void aFullRangeRefusesTheServiceAndRollsBackWhatItAllocated() {
    NodePortAllocator small = new NodePortAllocator(new PortRange(30000, 30001), new Random(0));
    ServiceNodePorts.Claims none =
        new ServiceNodePorts.Claims() {
          @Override
          public boolean any(int port) {
            return false;
          }

          @Override
          public String earlier(int port) {
            return null;
          }
        };
    Service three = service("three", "NodePort", port("a", 1), port("b", 2), port("c", 3));
    assertThat(ServiceNodePorts.decide(three, small, none, problems::add)).isNull();
    assertThat(problems.get(0).reason()).isEqualTo("NodePortsExhausted");
    assertThat(small.owner(30000)).isNull();
    assertThat(small.owner(30001)).isNull();
    Service two = service("two", "NodePort", port("a", 1), port("b", 2));
    assertThat(ServiceNodePorts.decide(two, small, none, problems::add).nodePorts())
        .containsExactlyInAnyOrder(30000, 30001);
  }

  @Test
  void writtenInComparesEveryEntryTreatingZeroAsNone() {
    Service s = service("s", "NodePort", port("a", 80, "TCP", 0), port("b", 81, "TCP", 30081));
    assertThat(new ServiceNodePorts(Arrays.asList(null, 30081)).writtenIn(s.getSpec())).isTrue();
    assertThat(new ServiceNodePorts(List.of(30080, 30081)).writtenIn(s.getSpec())).isFalse();
    assertThat(new ServiceNodePorts(List.of(30081)).writtenIn(s.getSpec())).isFalse();
  }

  static LongStream seeds() {
    String fixed = System.getProperty("weft.allocator.seed");
    return fixed != null ? LongStream.of(Long.parseLong(fixed)) : new Random().longs(10);
  }

  /**
   * Services that already carry node ports (some asked for, some allocated before), decided in any
   * order by a fresh allocator as after a restart: each keeps what it had, the ones without get
   * ports none of the others has, and no port is held twice.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void theAllocatorIsRebuiltFromTheServicesPresentInAnyOrder(long seed) {
    Random random = new Random(seed);
    List<Service> existing = new ArrayList<>();
    Set<Integer> used = new HashSet<>();
    for (int i = 0; i < 40; i++) {
      List<ServicePort> ports = new ArrayList<>();
      for (int p = 0; p < 1 + random.nextInt(3); p++) {
        Integer np = null;
        if (random.nextBoolean()) {
          do {
            np = 30000 + random.nextInt(100);
          } while (!used.add(np));
        }
        ports.add(port("p" + p, 80 + p, "TCP", np));
      }
      String type = List.of("NodePort", "LoadBalancer").get(random.nextInt(2));
      existing.add(service("s" + i, type, ports.toArray(ServicePort[]::new)));
    }
    existing.forEach(s -> others.put(ServiceAddresses.owner(s), s));
    Collections.shuffle(existing, random);
    Map<Integer, String> holder = new HashMap<>();
    for (Service s : existing) {
      Service stored = apply(s);
      List<Integer> before = nodePorts(s);
      List<Integer> after = nodePorts(stored);
      for (int i = 0; i < before.size(); i++) {
        if (before.get(i) != null) {
          assertThat(after.get(i)).as("seed %d: %s kept", seed, s).isEqualTo(before.get(i));
        }
        assertThat(after.get(i)).as("seed %d", seed).isNotNull();
        String other = holder.put(after.get(i), ServiceAddresses.owner(s));
        assertThat(other).as("seed %d: %d handed out twice", seed, after.get(i)).isNull();
      }
    }
    assertThat(problems).as("seed %d", seed).isEmpty();
  }
}
