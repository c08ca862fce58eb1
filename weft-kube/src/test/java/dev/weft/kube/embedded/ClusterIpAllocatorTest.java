package dev.weft.kube.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.model.IpFamily;
import dev.weft.model.IpPrefix;
import java.util.ArrayList;
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

class ClusterIpAllocatorTest {
  private static final IpPrefix DEFAULT = IpPrefix.parse("10.96.0.0/12");

  @Test
  void dynamicAddressesComeFromAboveTheStaticBandOfTheSubnet() {
    ClusterIpAllocator allocator = new ClusterIpAllocator(List.of(DEFAULT));
    String first = allocator.assign("default/a", IpFamily.V4, ip -> false);
    // The lowest 256 addresses are for services that ask for a fixed one (DNS, kubernetes).
    assertThat(first).isEqualTo("10.96.1.1");
    assertThat(allocator.assign("default/b", IpFamily.V4, ip -> false)).isEqualTo("10.96.1.2");
  }

  @Test
  void theStaticBandIsUsedOnlyWhenTheRestIsFull() {
    // A /24: 254 usable addresses, the lowest 16 of them the static band.
    ClusterIpAllocator allocator = new ClusterIpAllocator(List.of(IpPrefix.parse("10.0.0.0/24")));
    Set<String> got = new HashSet<>();
    for (int i = 0; i < 254 - 16; i++) {
      got.add(allocator.assign("ns/s" + i, IpFamily.V4, ip -> false));
    }
    assertThat(got).hasSize(238).doesNotContain("10.0.0.1", "10.0.0.16", "10.0.0.255");
    assertThat(allocator.assign("ns/next", IpFamily.V4, ip -> false)).isEqualTo("10.0.0.1");
  }

  @Test
  void aFullSubnetHandsOutNothingAndNeverTheNetworkOrBroadcastAddress() {
    ClusterIpAllocator allocator = new ClusterIpAllocator(List.of(IpPrefix.parse("10.0.0.0/29")));
    List<String> got = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      got.add(allocator.assign("ns/s" + i, IpFamily.V4, ip -> false));
    }
    assertThat(got)
        .containsExactly("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6");
    assertThat(allocator.assign("ns/s6", IpFamily.V4, ip -> false)).isNull();
    allocator.release("ns/s3");
    assertThat(allocator.assign("ns/s6", IpFamily.V4, ip -> false)).isEqualTo("10.0.0.4");
  }

  @Test
  void anAddressAnotherServiceUsesIsSkippedAndAServiceKeepsItsOwn() {
    ClusterIpAllocator allocator = new ClusterIpAllocator(List.of(IpPrefix.parse("10.0.0.0/29")));
    String a = allocator.assign("ns/a", IpFamily.V4, ip -> ip.equals("10.0.0.1"));
    assertThat(a).isEqualTo("10.0.0.2");
    assertThat(allocator.assign("ns/a", IpFamily.V4, ip -> true)).isEqualTo(a);
    assertThat(allocator.owner("10.0.0.2")).isEqualTo("ns/a");
  }

  @Test
  void retainKeepsRequestedAddressesOfTheSubnetAndReleasesTheRest() {
    ClusterIpAllocator allocator = new ClusterIpAllocator(List.of(IpPrefix.parse("10.0.0.0/29")));
    allocator.assign("ns/a", IpFamily.V4, ip -> false);
    allocator.retain("ns/a", List.of("10.0.0.5", "192.168.0.1"));
    assertThat(allocator.owner("10.0.0.1")).isNull();
    assertThat(allocator.owner("10.0.0.5")).isEqualTo("ns/a");
    assertThat(allocator.owner("192.168.0.1")).isNull();
    // Held by a: b asking for it does not take it over.
    allocator.retain("ns/b", List.of("10.0.0.5"));
    assertThat(allocator.owner("10.0.0.5")).isEqualTo("ns/a");
    assertThat(allocator.assign("ns/c", IpFamily.V4, ip -> false)).isNotEqualTo("10.0.0.5");
  }

  @Test
  void dualStackSubnetsAllocateOnePerFamily() {
    ClusterIpAllocator allocator =
        new ClusterIpAllocator(List.of(IpPrefix.parse("fd00:96::/108"), DEFAULT));
    assertThat(allocator.families()).containsExactly(IpFamily.V6, IpFamily.V4);
    assertThat(allocator.assign("ns/a", IpFamily.V6, ip -> false)).isEqualTo("fd00:96::101");
    assertThat(allocator.assign("ns/a", IpFamily.V4, ip -> false)).isEqualTo("10.96.1.1");
  }

  static LongStream seeds() {
    String fixed = System.getProperty("weft.allocator.seed");
    return fixed != null ? LongStream.of(Long.parseLong(fixed)) : new Random().longs(20);
  }

  /** Random assigns, retains and releases: no address is ever held by two services. */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void noAddressIsHandedOutTwice(long seed) {
    Random random = new Random(seed);
    IpPrefix subnet = IpPrefix.parse("10.0.0.0/26");
    ClusterIpAllocator allocator = new ClusterIpAllocator(List.of(subnet));
    Map<String, String> requested = new HashMap<>(); // services that asked for an address
    Map<String, String> assigned = new HashMap<>();
    for (int step = 0; step < 2_000; step++) {
      String owner = "ns/s" + random.nextInt(80);
      switch (random.nextInt(4)) {
        case 0, 1 -> {
          if (requested.containsKey(owner)) {
            break;
          }
          String ip = allocator.assign(owner, IpFamily.V4, requested::containsValue);
          if (ip != null) {
            assertThat(subnet.contains(ip)).as("seed %d: %s in %s", seed, ip, subnet).isTrue();
            assertThat(ip).as("seed %d", seed).isNotEqualTo("10.0.0.0").isNotEqualTo("10.0.0.63");
            assigned.put(owner, ip);
          } else {
            assertThat(assigned.size() + requested.size()).as("seed %d", seed).isEqualTo(62);
          }
        }
        case 2 -> {
          allocator.release(owner);
          assigned.remove(owner);
          requested.remove(owner);
        }
        default -> {
          String ip = "10.0.0." + (1 + random.nextInt(62));
          if (!assigned.containsValue(ip) && !requested.containsValue(ip)) {
            allocator.release(owner);
            assigned.remove(owner);
            requested.put(owner, ip);
          }
        }
      }
      Set<String> held = new HashSet<>(requested.values());
      for (String ip : assigned.values()) {
        assertThat(held.add(ip)).as("seed %d: %s handed out twice", seed, ip).isTrue();
      }
    }
  }
}
