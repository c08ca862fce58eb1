package dev.weft.agent.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.model.FqName;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NamingTest {
  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3})
  void podDevicesAreDeterministicShortAndWeftsOwn(long seed) {
    Random random = new Random(seed);
    for (int i = 0; i < 1000; i++) {
      UUID id = new UUID(random.nextLong(), random.nextLong());
      String name = Naming.podDevice(id);
      assertThat(name).as("seed %d", seed).hasSizeLessThanOrEqualTo(15).startsWith("wfp");
      assertThat(Naming.podDevice(UUID.fromString(id.toString()))).isEqualTo(name);
      assertThat(Naming.ownsDevice(name)).isTrue();
    }
    assertThat(Naming.ownsDevice("eth0")).isFalse();
    assertThat(Naming.ownsDevice("cali1234")).isFalse();
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {7, 8, 9})
  void vnisDependOnTheSetOfNetworksOnlyAndNeverCollide(long seed) {
    Random random = new Random(seed);
    // 20,000 networks: thousands of hash collisions in 2^24 slots, all probed apart.
    List<FqName> names = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      names.add(FqName.of("default-domain", "p" + random.nextInt(50), "vn-" + i));
    }
    Map<FqName, Integer> vnis = Naming.vnis(names);
    assertThat(new HashSet<>(vnis.values())).hasSize(names.size());
    assertThat(vnis.values())
        .allSatisfy(v -> assertThat(v).isBetween(Naming.VNI_MIN, Naming.VNI_MAX));
    List<FqName> shuffled = new ArrayList<>(names);
    Collections.shuffle(shuffled, random);
    assertThat(Naming.vnis(shuffled)).as("seed %d", seed).isEqualTo(vnis);
    // Only networks that collide move: the others have the VNI their name alone gives them.
    long kept =
        names.stream().filter(n -> Naming.vnis(List.of(n)).get(n).equals(vnis.get(n))).count();
    assertThat(kept).isGreaterThan(names.size() * 98L / 100);
  }

  @Test
  void aNetworkKeepsItsVniWhenACollidingNetworkIsCreatedAfterIt() {
    // Find two names whose hashes take the same slot (the birthday bound: a few thousand names).
    Map<Integer, FqName> bySlot = new HashMap<>();
    FqName first = null;
    FqName second = null;
    for (int i = 0; first == null; i++) {
      FqName n = FqName.of("default-domain", "p", "vn-" + i);
      int alone = Naming.vnis(List.of(n)).get(n);
      FqName other = bySlot.putIfAbsent(alone, n);
      if (other != null) {
        first = other;
        second = n;
      }
    }
    // "older" is created first but sorts after "newer" by name: by name alone, it would move.
    FqName older = first.toString().compareTo(second.toString()) > 0 ? first : second;
    FqName newer = older == first ? second : first;
    int before = Naming.vnis(List.of(older), n -> 10L).get(older);
    Map<FqName, Long> created = Map.of(older, 10L, newer, 20L);
    Map<FqName, Integer> both = Naming.vnis(List.of(older, newer), created::get);
    assertThat(both.get(older)).isEqualTo(before);
    assertThat(both.get(newer)).isEqualTo(before + 1);
    // Without a creation order, the name decides (and the older network is the one that moves).
    assertThat(Naming.vnis(List.of(older, newer)).get(older)).isEqualTo(before + 1);
  }

  @Test
  void tablesAreWeftsOnlyInItsRange() {
    assertThat(Naming.ownsTable(254)).isFalse();
    assertThat(Naming.ownsTable(255)).isFalse();
    assertThat(Naming.ownsTable(100)).isFalse();
    assertThat(Naming.ownsTable(Naming.VNI_MIN)).isTrue();
    assertThat(Naming.vxlanDevice(Naming.VNI_MAX)).isEqualTo("wfxffffff");
  }

  @Test
  void linkLocalIsTheEui64OfTheMac() {
    assertThat(Naming.linkLocal("52:54:00:12:34:56")).isEqualTo("fe80::5054:ff:fe12:3456");
    assertThat(Naming.vtepMac("node-1"))
        .matches("02:57(:[0-9a-f]{2}){4}")
        .isEqualTo(Naming.vtepMac("node-1"));
    assertThat(Naming.vtepMac("node-1")).isNotEqualTo(Naming.vtepMac("node-2"));
  }
}
