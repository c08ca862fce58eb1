package dev.weft.kube.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.model.PortRange;
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

class NodePortAllocatorTest {
  private static final PortRange DEFAULT = StandIns.DEFAULT_NODE_PORT_RANGE;

  private static NodePortAllocator allocator(PortRange range, long seed) {
    return new NodePortAllocator(range, new Random(seed));
  }

  @Test
  void dynamicPortsComeFromAboveTheStaticBandOfTheRangeAndAreNeverHandedOutTwice() {
    NodePortAllocator allocator = allocator(DEFAULT, 1);
    Set<Integer> got = new HashSet<>();
    for (int i = 0; i < 500; i++) {
      int port = allocator.allocate("ns/s" + i, "http", p -> false);
      // The lowest 86 ports (2768 / 32) are for services that ask for a fixed one.
      assertThat(port).isBetween(30086, 32767);
      assertThat(got.add(port)).as("%d handed out twice", port).isTrue();
    }
  }

  @Test
  void allocationIsNextFitFromARandomStart() {
    int first = allocator(DEFAULT, 7).allocate("ns/a", "", p -> false);
    NodePortAllocator allocator = allocator(DEFAULT, 7);
    assertThat(allocator.allocate("ns/a", "", p -> false)).isEqualTo(first);
    int second = allocator.allocate("ns/b", "", p -> false);
    assertThat(second).isEqualTo(first == 32767 ? 30086 : first + 1);
    Set<Integer> starts = new HashSet<>();
    for (long seed = 0; seed < 20; seed++) {
      starts.add(allocator(DEFAULT, seed).allocate("ns/a", "", p -> false));
    }
    assertThat(starts).hasSizeGreaterThan(1);
  }

  @Test
  void theStaticBandIsUsedOnlyWhenTheRestIsFullAndAFullRangeHandsOutNothing() {
    // 100 ports, the lowest 16 of them the static band.
    NodePortAllocator allocator = allocator(new PortRange(31000, 31099), 3);
    Set<Integer> got = new HashSet<>();
    for (int i = 0; i < 84; i++) {
      got.add(allocator.allocate("ns/s" + i, "", p -> false));
    }
    assertThat(got).hasSize(84).allMatch(p -> p >= 31016 && p <= 31099);
    assertThat(allocator.allocate("ns/next", "", p -> false)).isEqualTo(31000);
    for (int i = 0; i < 15; i++) {
      assertThat(allocator.allocate("ns/more" + i, "", p -> false)).isBetween(31001, 31015);
    }
    assertThat(allocator.allocate("ns/last", "", p -> false)).isZero();
    allocator.release("ns/s10");
    assertThat(allocator.allocate("ns/last", "", p -> false)).isBetween(31016, 31099);
  }

  @Test
  void portsUnavailableToTheCallerAreSkipped() {
    NodePortAllocator allocator = allocator(new PortRange(31000, 31019), 0);
    // 20 ports, all of them static band but for four.
    Set<Integer> taken = Set.of(31016, 31017, 31018, 31019);
    int port = allocator.allocate("ns/a", "", taken::contains);
    assertThat(port).isEqualTo(31000);
  }

  @Test
  void retainKeepsTheGivenPortsOfTheRangeAndReleasesTheRest() {
    NodePortAllocator allocator = allocator(DEFAULT, 0);
    int dynamic = allocator.allocate("ns/a", "http", p -> false);
    allocator.retain(
        "ns/a",
        List.of(
            new NodePortAllocator.Entry("https", 30443), new NodePortAllocator.Entry("x", 40000)));
    assertThat(allocator.owner(dynamic)).isNull();
    assertThat(allocator.owner(30443)).isEqualTo("ns/a");
    assertThat(allocator.owner(40000)).isNull();
    assertThat(allocator.heldFor("ns/a", "https")).isEqualTo(30443);
    assertThat(allocator.heldFor("ns/a", "http")).isNull();
    // Held by a: b asking for it does not take it over.
    allocator.retain("ns/b", List.of(new NodePortAllocator.Entry("https", 30443)));
    assertThat(allocator.owner(30443)).isEqualTo("ns/a");
    assertThat(allocator.heldFor("ns/b", "https")).isNull();
  }

  @Test
  void oneServiceMayHoldOnePortForTwoEntriesAndReleaseFreesThemAll() {
    NodePortAllocator allocator = allocator(DEFAULT, 0);
    allocator.retain(
        "kube-system/dns",
        List.of(
            new NodePortAllocator.Entry("dns-tcp", 30053),
            new NodePortAllocator.Entry("dns-udp", 30053),
            new NodePortAllocator.Entry("metrics", 30153)));
    assertThat(allocator.holds("kube-system/dns", 30053)).isTrue();
    assertThat(allocator.heldFor("kube-system/dns", "dns-udp")).isEqualTo(30053);
    allocator.retain(
        "kube-system/dns",
        List.of(
            new NodePortAllocator.Entry("dns-tcp", 30053),
            new NodePortAllocator.Entry("metrics", 30153)));
    assertThat(allocator.owner(30053)).isEqualTo("kube-system/dns");
    allocator.release("kube-system/dns");
    assertThat(allocator.owner(30053)).isNull();
    assertThat(allocator.owner(30153)).isNull();
    assertThat(allocator.heldFor("kube-system/dns", "dns-tcp")).isNull();
  }

  @Test
  void aRangeWithPortZeroIsRefused() {
    assertThatThrownBy(() -> allocator(new PortRange(0, 100), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("0-100");
  }

  static LongStream seeds() {
    String fixed = System.getProperty("weft.allocator.seed");
    return fixed != null ? LongStream.of(Long.parseLong(fixed)) : new Random().longs(20);
  }

  /**
   * Random allocations, retains of requested ports and releases over a small range: no port is ever
   * held by two services, none lies outside the range, and the range is full only when every port
   * is held.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void noPortIsHandedOutTwice(long seed) {
    Random random = new Random(seed);
    PortRange range = new PortRange(30000, 30063);
    NodePortAllocator allocator = new NodePortAllocator(range, new Random(seed));
    Map<String, List<NodePortAllocator.Entry>> holding = new HashMap<>();
    for (int step = 0; step < 3_000; step++) {
      String owner = "ns/s" + random.nextInt(40);
      List<NodePortAllocator.Entry> mine = holding.getOrDefault(owner, List.of());
      switch (random.nextInt(4)) {
        case 0, 1 -> {
          String name = "p" + random.nextInt(3);
          int port = allocator.allocate(owner, name, p -> false);
          if (port == 0) {
            assertThat(holding.values().stream().mapToLong(List::size).sum())
                .as("seed %d: range full with ports free", seed)
                .isGreaterThanOrEqualTo(64);
            break;
          }
          assertThat(range.contains(port)).as("seed %d: %d", seed, port).isTrue();
          List<NodePortAllocator.Entry> now = new ArrayList<>(mine);
          now.removeIf(e -> e.portName().equals(name));
          now.add(new NodePortAllocator.Entry(name, port));
          allocator.retain(owner, now);
          holding.put(owner, now);
        }
        case 2 -> {
          allocator.release(owner);
          holding.remove(owner);
        }
        default -> {
          // A requested port: kept only when no other service holds it, as the caller checks.
          int port = 29990 + random.nextInt(84);
          String holder = allocator.owner(port);
          if (range.contains(port) && (holder == null || holder.equals(owner))) {
            List<NodePortAllocator.Entry> now = new ArrayList<>(mine);
            now.add(new NodePortAllocator.Entry("r" + port, port));
            allocator.retain(owner, now);
            holding.put(owner, now);
          }
        }
      }
      Map<Integer, String> seen = new HashMap<>();
      holding.forEach(
          (o, entries) -> {
            for (NodePortAllocator.Entry e : entries) {
              String other = seen.put(e.nodePort(), o);
              assertThat(other == null || other.equals(o))
                  .as("seed %d: %d held by %s and %s", seed, e.nodePort(), o, other)
                  .isTrue();
              assertThat(allocator.owner(e.nodePort())).as("seed %d", seed).isEqualTo(o);
            }
          });
    }
  }
}
